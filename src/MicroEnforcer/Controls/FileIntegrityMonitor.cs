using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// File Integrity Monitoring: each change to a watched path (create, write, truncate, delete,
/// rename, link, symlink, mkdir, mknod, chmod, chown, set or remove an xattr) is one audit event
/// naming the process, the operation, the path (both for rename and link), and for regular files
/// up to maxHashBytes the SHA-256 before and after. Audit only: every call goes on untouched.
///
/// At the notification the call is decoded (<see cref="FileCall"/>), matched against the watched
/// paths, and the file is hashed as it is before the call; the change is then handed to the
/// <see cref="FileChangeWatcher"/>, which reports it once it has happened (or its wait is over),
/// with the file hashed as it is after. The notify loop pays one decode for every notified call,
/// and a hash of at most maxHashBytes plus one inotify_add_watch for a watched one.
///
/// The paths are a report, not a proof: they are read from the caller's memory and can be
/// swapped before the kernel resolves them again (docs/limits.md).
/// </summary>
internal sealed class FileIntegrityMonitor : ISyscallControl, IDisposable
{
    public const string ControlName = "fileIntegrity";

    private readonly WatchedPaths _watched;
    private readonly int _maxHashBytes;
    private readonly Outcome _outcome;
    private readonly FileChangeWatcher _watcher = new();

    public FileIntegrityMonitor(FileIntegrityPolicy policy, Outcome outcome)
    {
        _watched = new WatchedPaths(policy.Paths);
        _maxHashBytes = policy.MaxHashBytes;
        _outcome = outcome;
    }

    /// <summary>The kinds the control is handed; its definition notifies exactly these.</summary>
    public static IReadOnlyList<SyscallKind> MonitoredKinds { get; } =
    [
        SyscallKind.Open, SyscallKind.OpenAt, SyscallKind.OpenAt2, SyscallKind.Creat, SyscallKind.OpenByHandleAt,
        SyscallKind.Truncate, SyscallKind.Ftruncate, SyscallKind.Unlink, SyscallKind.UnlinkAt, SyscallKind.Rmdir,
        SyscallKind.Rename, SyscallKind.RenameAt, SyscallKind.RenameAt2, SyscallKind.Link, SyscallKind.LinkAt,
        SyscallKind.Symlink, SyscallKind.SymlinkAt, SyscallKind.Mkdir, SyscallKind.MkdirAt, SyscallKind.Mknod, SyscallKind.MknodAt,
        SyscallKind.Chmod, SyscallKind.Fchmod, SyscallKind.FchmodAt, SyscallKind.FchmodAt2,
        SyscallKind.Chown, SyscallKind.Lchown, SyscallKind.Fchown, SyscallKind.FchownAt,
        SyscallKind.SetXattr, SyscallKind.LsetXattr, SyscallKind.FsetXattr, SyscallKind.SetXattrAt,
        SyscallKind.RemoveXattr, SyscallKind.LremoveXattr, SyscallKind.FremoveXattr, SyscallKind.RemoveXattrAt,
    ];

    public string Name => ControlName;

    public EnforcementMode Mode => EnforcementMode.Audit;

    public IReadOnlyList<SyscallKind> Kinds => MonitoredKinds;

    public SyscallVerdict Decide(in SyscallCall call)
    {
        if (FileCall.Decode(call) is not { IsTemporaryFile: false } file)
            return SyscallVerdict.Continue;
        bool movesTrees = file.Operation is FileOperation.Rename or FileOperation.Delete;
        if (!_watched.Covers(file.Path.Resolved, movesTrees) && !_watched.Covers(file.NewPath?.Resolved, movesTrees))
            return SyscallVerdict.Continue;

        // The file whose content the change is about: a rename's or a link's new name (what it
        // replaces before, what it is after), else the one path.
        string? subject = file.Operation is FileOperation.Rename or FileOperation.Link ? file.NewPath?.Resolved ?? file.Path.Resolved : file.Path.Resolved;
        if (subject is null)
            return SyscallVerdict.Continue;   // names no file: the kernel's call fails the same way
        FileContentHash.Result before = FileContentHash.Of(subject, _maxHashBytes);
        if (Change(file, before.Note != "absent") is not (string operation, uint inotifyEvent, bool onFile, TimeSpan wait))
            return SyscallVerdict.Continue;   // an open that changes nothing (O_CREAT of a file that is there, read-only)

        ProcessSnapshot process = ProcessSnapshot.Take(call.Tid);
        string syscall = call.Entry?.Name ?? call.Name;
        // What was read belongs to the caller only while it still waits in this call.
        if (!call.IsStillValid())
            return SyscallVerdict.Continue;

        int slash = subject.LastIndexOf('/');
        string? directory = subject.Length > 1 ? (slash == 0 ? "/" : subject[..slash]) : null;
        byte[] name = PathText.Encode(subject[(slash + 1)..]);
        _watcher.Add(new FileChangeWatcher.Pending(directory, name, inotifyEvent, onFile, wait,
            (seen, why) => Report(process, syscall, file, operation, subject, before, seen, why)));
        return SyscallVerdict.Continue;
    }

    // The operation's name in the event, the inotify event that says it happened, where it is
    // watched, and how long to wait for it.
    private static (string, uint, bool, TimeSpan)? Change(FileCall file, bool exists)
    {
        TimeSpan call = FileChangeWatcher.CallWait;
        FileOperation op = file.Operation;
        if (file.Kind is SyscallKind.Open or SyscallKind.OpenAt or SyscallKind.OpenAt2 or SyscallKind.Creat or SyscallKind.OpenByHandleAt)
        {
            if (op.HasFlag(FileOperation.Write))
            {
                string what = !exists && op.HasFlag(FileOperation.Create) ? "create" : op.HasFlag(FileOperation.Truncate) ? "truncate" : "write";
                return (what, Libc.IN_CLOSE_WRITE, false, FileChangeWatcher.OpenWait);
            }
            if (!exists && op.HasFlag(FileOperation.Create))
                return ("create", Libc.IN_CREATE, false, call);
            if (exists && op.HasFlag(FileOperation.Truncate))
                return ("truncate", Libc.IN_MODIFY, true, call);
            return null;
        }
        return op switch
        {
            FileOperation.Truncate => ("truncate", Libc.IN_MODIFY, true, call),
            FileOperation.Delete => ("delete", Libc.IN_DELETE, false, call),
            FileOperation.Rename => ("rename", Libc.IN_MOVED_TO, false, call),
            FileOperation.Link or FileOperation.Symlink or FileOperation.MakeDirectory or FileOperation.MakeNode =>
                (op.Name(), Libc.IN_CREATE, false, call),
            _ => (op.Name(), Libc.IN_ATTRIB, false, call),
        };
    }

    private void Report(ProcessSnapshot process, string syscall, FileCall file, string operation, string subject,
        FileContentHash.Result before, bool seen, string? why)
    {
        FileContentHash.Result after = FileContentHash.Of(subject, _maxHashBytes);
        string? notSeen = seen ? null : why != FileChangeWatcher.NotSeenInTime ? why
            : file.OpenFlags != 0 && operation is "write" or "create" or "truncate"
                ? $"{why} ({FileChangeWatcher.OpenWait.TotalSeconds:0} s): the file may still be open for writing"
                : $"{why} ({FileChangeWatcher.CallWait.TotalSeconds:0} s): the call may have failed";
        string shown = file.Path.Resolved ?? file.Path.Requested;
        string? shownNew = file.NewPath is { } newPath ? newPath.Resolved ?? newPath.Requested : null;
        string text = shownNew is null ? $"{operation} of {shown}" : $"{operation} of {shown} to {shownNew}";
        var change = new FileChange(operation, shown, shownNew, file.LinkTarget, before.Sha256, before.Note,
            after.Sha256, after.Sha256 is null ? after.Note : notSeen is null ? null : $"hashed when the change was {notSeen}", seen);
        string reason = notSeen is null
            ? $"{text}: a watched path changed"
            : $"{text}: a change of a watched path was attempted; the change was {notSeen}";
        _outcome.Reported(process, new ControlFinding(ControlName, reason), syscall, subject, file: change);
    }

    public void Dispose() => _watcher.Dispose();
}
