using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// File Block. Enforce mode: the kernel refuses the listed accesses (EACCES) to the listed paths,
/// by Landlock: the workload and every exec session are restricted at launch with one rule set
/// made at start (see <see cref="FileRulePlanner"/>), which judges the inode a path resolves to
/// when the call runs, so no symlink flip, rename, dirfd, /proc/self/fd or i386 entry point goes
/// around it. An exec of a file blocked for exec is also judged like every exec, so it is refused
/// at the call with an audit event. Audit mode: nothing is restricted, execs are reported.
/// Where the kernel lacks Landlock, the enforcer does not start in enforce mode unless
/// <c>fallback: audit</c> says to run this control in audit mode.
/// </summary>
internal sealed class FileBlock(FileBlockPolicy policy, ILogger log) : ILaunchControl, IExecControl, ISyscallControl
{
    public const string ControlName = "fileBlock";

    // What each kind of access takes away. Read is a file's content, not a directory's listing:
    // Landlock grants a listing right to a whole subtree, so hiding one directory's names would
    // hide the names of / and of every directory above it. Write is a file's content (open for
    // writing, truncate); replacing or removing the file is a change to its directory, which
    // Read-Only guards (docs/controls.md says which to use when).
    private static FileRights Rights(FileAccessKind access) =>
        ((access & FileAccessKind.Read) != 0 ? FileRights.ReadFile : FileRights.None)
        | ((access & FileAccessKind.Write) != 0 ? FileRights.WriteFile | FileRights.Truncate : FileRights.None)
        | ((access & FileAccessKind.Exec) != 0 ? FileRights.Execute : FileRights.None);

    // Each entry with the paths it named at start (symlinks resolved).
    private readonly List<(FileEntry Entry, IReadOnlyList<string> Paths)> _entries = [];

    public string Name => ControlName;

    /// <summary>The policy's mode, or audit where the kernel cannot enforce it and the policy falls back.</summary>
    public EnforcementMode Mode { get; private set; } = policy.Mode;

    public string? Prepare(LaunchPlan plan)
    {
        FileRights denied = policy.Files.Aggregate(FileRights.None, (all, entry) => all | Rights(entry.Access));
        if (FileRestrictions.Mode(ControlName, policy.Mode, policy.Fallback, denied, log, out string? refusal) is not { } mode)
            return refusal;
        Mode = mode;
        foreach (FileEntry entry in policy.Files)
        {
            IReadOnlyList<string> paths = mode == EnforcementMode.Enforce
                ? FileRestrictions.Restrict(plan, ControlName, entry.Path, Rights(entry.Access), log)
                : FileGlobExpansion.Expand(entry.Path).Matches;
            _entries.Add((entry, paths));
        }
        return null;
    }

    public void Launched(int pid, string process, string? path)
    {
    }

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (target.Role == ExecRole.ElfInterpreter || Match(target.CanonicalPath, FileAccessKind.Exec) is not { } entry)
            return null;
        return new ControlFinding(ControlName, $"{target.CanonicalPath} matches '{entry.Path.Pattern}' in the blocked files (spec.fileBlock.files)");
    }

    public IReadOnlyList<SyscallKind> Kinds { get; } = [.. FileCallRules.OpenKinds, .. FileCallRules.TruncateKinds];

    /// <summary>
    /// An open or truncate of a blocked file: reported (audit mode, or reportAttempts), and in
    /// enforce mode refused at the call as Landlock refuses it. The path is read from the
    /// caller's memory: a report, not the enforcement (Landlock judges the inode at the call).
    /// </summary>
    public SyscallVerdict Decide(in SyscallCall call)
    {
        if (Mode == EnforcementMode.Enforce && !policy.ReportAttempts)
            return SyscallVerdict.Continue;
        if (FileCall.Decode(call) is not { Path.Resolved: { } path } file)
            return SyscallVerdict.Continue;
        FileAccessKind asked = ((file.Operation & FileOperation.Read) != 0 ? FileAccessKind.Read : FileAccessKind.None)
            | ((file.Operation & (FileOperation.Write | FileOperation.Truncate)) != 0 ? FileAccessKind.Write : FileAccessKind.None);
        // A file that is not there, opened without O_CREAT, fails with ENOENT before any check:
        // the report must not make it EACCES.
        if ((file.Operation & FileOperation.Create) == 0 && NativePath.Statx(path, Libc.AT_SYMLINK_NOFOLLOW, out _) != 0)
            return SyscallVerdict.Continue;
        // A directory opened for reading is listed, which File Block leaves alone (as Landlock does).
        if (asked == FileAccessKind.Read && ((file.OpenFlags & Libc.O_DIRECTORY) != 0 || Directory.Exists(path)))
            return SyscallVerdict.Continue;
        if (Match(path, asked) is not { } entry)
            return SyscallVerdict.Continue;
        return SyscallVerdict.Object(new ControlFinding(ControlName,
            $"{file.Operation.Name()} of {path}: '{entry.Path.Pattern}' in the blocked files (spec.fileBlock.files) blocks {FileAccessKindText.Describe(entry.Access & asked)}")
            { File = path }, Libc.EACCES);
    }

    // The entry that blocks one of `asked` on `path`: by a path it named at start (a directory
    // covers its subtree), or by its glob (a file that appeared later).
    private FileEntry? Match(string path, FileAccessKind asked)
    {
        foreach ((FileEntry entry, IReadOnlyList<string> paths) in _entries)
        {
            if ((entry.Access & asked) == 0)
                continue;
            if (entry.Path.Matches(path))
                return entry;
            foreach (string named in paths)
            {
                if (FileRulePlanner.Covers(named, path))
                    return entry;
            }
        }
        return null;
    }
}
