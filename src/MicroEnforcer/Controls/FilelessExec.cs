using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Blocks exec of code that has no file in any filesystem: a memfd (execveat(fd, "",
/// AT_EMPTY_PATH), fexecve, /proc/self/fd/N), an O_TMPFILE file, or a file deleted after it was
/// opened. All of these have a link count of 0; memfds name themselves "/memfd:NAME (deleted)".
/// memfd_create and PROT_EXEC mappings of memfds are untouched: the .NET and JVM JITs use them.
/// </summary>
internal sealed class FilelessExec(FilelessExecPolicy policy) : IExecControl
{
    public const string ControlName = "fileless";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!policy.Enabled || !target.Signature.IsRegularFile || target.Signature.LinkCount != 0)
            return null;
        string reason = target.CanonicalPath.StartsWith("/memfd:", StringComparison.Ordinal)
            ? "exec of a memfd: code that exists only in memory"
            : "exec of an unlinked file (deleted, or created with O_TMPFILE)";
        return new ControlFinding(ControlName, reason);
    }
}
