using MicroEnforcer.Policy;
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
internal sealed class FileBlock(FileBlockPolicy policy, ILogger log) : ILaunchControl, IExecControl
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

    private readonly List<(string Path, FileEntry Entry)> _execBlocked = [];

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
            if ((entry.Access & FileAccessKind.Exec) != 0)
                _execBlocked.AddRange(paths.Select(path => (path, entry)));
        }
        return null;
    }

    public void Launched(int pid, string process, string? path)
    {
    }

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (target.Role == ExecRole.ElfInterpreter)
            return null;
        foreach ((string path, FileEntry entry) in _execBlocked)
        {
            if (FileRulePlanner.Covers(path, target.CanonicalPath) || entry.Path.Matches(target.CanonicalPath))
                return new ControlFinding(ControlName, $"{target.CanonicalPath} matches '{entry.Path.Pattern}' in the blocked files (spec.fileBlock.files)");
        }
        return null;
    }
}
