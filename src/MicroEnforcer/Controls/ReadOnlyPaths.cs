using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Read-Only Directories and Files. Enforce mode: beneath the listed paths nothing can be
/// written, truncated, created, removed, renamed into or out of, or linked (EACCES), by Landlock,
/// like File Block (see <see cref="FileBlock"/>: the kernel judges the inode at the call, so no
/// path trick goes around it, and files created later are covered). The exceptions stay writable.
/// A single listed file can be neither replaced nor removed, so the directory holding it takes no
/// new entries directly in it (docs/limits.md). Attribute changes (chmod, chown, xattrs), which
/// Landlock has no right for, are the <see cref="AttributeChangeGuard"/>'s: EROFS, race-free, with
/// or without Landlock.
/// </summary>
internal sealed class ReadOnlyPaths(ReadOnlyPolicy policy, Outcome outcome, ILogger log) : ILaunchControl, ISyscallControl
{
    // What changes a file or a directory entry (attribute changes are the guard's).
    private const FileOperation Changes = FileOperation.Write | FileOperation.Create | FileOperation.Truncate | FileOperation.Delete
        | FileOperation.Rename | FileOperation.Link | FileOperation.Symlink | FileOperation.MakeDirectory | FileOperation.MakeNode;

    // The paths and exceptions as named at start (symlinks resolved).
    private IReadOnlyList<string> _paths = [];
    private IReadOnlyList<string> _exceptions = [];
    private AttributeChangeGuard? _attributes;

    public const string ControlName = "readOnly";

    public string Name => ControlName;

    /// <summary>The policy's mode, or audit where the kernel cannot enforce it and the policy falls back.</summary>
    public EnforcementMode Mode { get; private set; } = policy.Mode;

    public string? Prepare(LaunchPlan plan)
    {
        if (FileRestrictions.Mode(ControlName, policy.Mode, policy.Fallback, FileRights.Change, log, out string? refusal) is not { } mode)
            return refusal;
        Mode = mode;
        _attributes = new AttributeChangeGuard(ControlName, IsReadOnly, mode, outcome);
        if (mode != EnforcementMode.Enforce)
        {
            _paths = [.. policy.Paths.SelectMany(path => FileGlobExpansion.Expand(path).Matches)];
            _exceptions = [.. policy.Exceptions.SelectMany(path => FileGlobExpansion.Expand(path).Matches)];
            return null;
        }
        _paths = [.. policy.Paths.SelectMany(path => FileRestrictions.Restrict(plan, ControlName, path, FileRights.Change, log))];
        _exceptions = [.. policy.Exceptions.SelectMany(exception => FileRestrictions.Except(plan, ControlName, exception, FileRights.Change, log))];
        return null;
    }

    public IReadOnlyList<SyscallKind> Kinds { get; } =
        [.. FileCallRules.OpenKinds, .. FileCallRules.TruncateKinds, .. FileCallRules.EntryChangeKinds, .. FileCallRules.AttributeChangeKinds];

    /// <summary>
    /// A change beneath a read-only path (either name of a rename or link): reported (audit mode,
    /// or reportAttempts), and in enforce mode refused at the call as Landlock refuses it. The
    /// paths are read from the caller's memory: a report, not the enforcement.
    /// </summary>
    public SyscallVerdict Decide(in SyscallCall call)
    {
        if (FileCallRules.AttributeChangeKinds.Contains(call.Kind))
            return _attributes?.Decide(call) ?? SyscallVerdict.Continue;
        if (Mode == EnforcementMode.Enforce && !policy.ReportAttempts)
            return SyscallVerdict.Continue;
        if (FileCall.Decode(call) is not { } file || (file.Operation & Changes) == 0)
            return SyscallVerdict.Continue;
        if (FailsBeforeAnyCheck(file))
            return SyscallVerdict.Continue;
        string? path = file.Path.Resolved is { } old && IsReadOnly(old) ? old
            : file.NewPath?.Resolved is { } renamed && IsReadOnly(renamed) ? renamed : null;
        if (path is null)
            return SyscallVerdict.Continue;
        return SyscallVerdict.Object(new ControlFinding(ControlName,
            $"{file.Operation.Name()} of {path}: beneath the read-only paths (spec.readOnly.paths)") { File = path }, Libc.EACCES);
    }

    // A call the kernel fails (or lets be) before any permission check: the report must not turn
    // its EEXIST or ENOENT into EACCES (`mkdir -p` of a directory that is there, `rm -f` of one
    // that is not). O_CREAT of a file that is there, for reading only, changes nothing. What was
    // looked at can change before the kernel looks: this decides a report, never the kernel's answer.
    private static bool FailsBeforeAnyCheck(FileCall file)
    {
        FileOperation changes = file.Operation & Changes;
        bool oldExists = file.Path.Resolved is { } old && Exists(old);
        if ((changes & ~(FileOperation.Create | FileOperation.MakeDirectory | FileOperation.MakeNode | FileOperation.Symlink)) == 0)
            return oldExists;   // EEXIST, or nothing to create
        if ((changes & (FileOperation.Delete | FileOperation.Rename | FileOperation.Link)) != 0 && !oldExists)
            return true;   // ENOENT
        return changes == FileOperation.Link && file.NewPath?.Resolved is { } linked && Exists(linked);   // EEXIST
    }

    private static bool Exists(string path) => NativePath.Statx(path, Libc.AT_SYMLINK_NOFOLLOW, out _) == 0;

    /// <summary>
    /// Whether <paramref name="path"/> (real, absolute) is read-only: it or a directory above it
    /// matches a glob of the paths or is beneath a path one named at start, and the same is not
    /// true of an exception.
    /// </summary>
    public bool IsReadOnly(string path) =>
        Beneath(policy.Paths, _paths, path) && !Beneath(policy.Exceptions, _exceptions, path);

    private static bool Beneath(PolicyList<PathGlob> globs, IReadOnlyList<string> named, string path)
    {
        foreach (string start in named)
        {
            if (FileRulePlanner.Covers(start, path))
                return true;
        }
        for (string? at = path; at is not null; at = Parent(at))
        {
            foreach (PathGlob glob in globs)
            {
                if (glob.Matches(at))
                    return true;
            }
        }
        return false;
    }

    private static string? Parent(string path) =>
        path == "/" ? null : path.LastIndexOf('/') is var slash && slash <= 0 ? "/" : path[..slash];

    public void Launched(int pid, string process, string? path)
    {
    }

}
