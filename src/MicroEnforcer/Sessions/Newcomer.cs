using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Sessions;

/// <summary>
/// Which processes are outside enforcement. Nobody traces a newcomer, and either its parent is
/// outside the pid namespace (PPid 0: it entered by setns) or it has no more seccomp filters than
/// PID 1 itself: the workload's filter is one more than PID 1's and is inherited by everything
/// the workload and enforced sessions start, so this catches what a session started before it
/// was seized. Asked by the watcher, and again by the tracer once it holds the process, because
/// the pid the watcher saw may belong to another process by then.
/// </summary>
internal static class Newcomer
{
    private static readonly int s_ownFilters = ProcStatus.Read(Libc.GetPid())?.SeccompFilters ?? 0;

    /// <summary>Why the process is a newcomer, or null when it is not one (ignoring who traces it).</summary>
    public static string? Reason(in ProcStatus status) =>
        status.IsZombie ? null
        : status.PPid == 0 ? "its parent is outside the container: setns, e.g. podman or kubectl exec"
        : status.SeccompFilters <= s_ownFilters ? $"started by a process outside enforcement (parent {status.PPid})"
        : null;

    /// <summary>
    /// The newcomer is still the runtime's own process, before the exec of the session's program
    /// (runc init, or nsenter, setting up): forked by a process outside the container (PPid 0), not
    /// exec'd since (PF_FORKNOEXEC, cleared by exec), and running a binary the container's
    /// filesystem does not have (the host's runc, or a memfd copy of it). Anything else is already
    /// running a program of its own. Unreadable counts as running one: deciding it now is the
    /// closed side to fail on.
    /// </summary>
    public static bool IsRuntimeSetup(int pid, in ProcStatus status)
    {
        if (status.PPid != 0 || ProcStat.Read(pid) is not { ForkedWithoutExec: true })
            return false;
        string exe = $"/proc/{pid}/exe";
        if (NativePath.ReadLink(exe) is not { } path || FileSignature.TryRead(exe, out FileSignature running) != 0)
            return false;
        // The link shows a path of the host's filesystem ("/" when it is outside every mount we
        // see): the same path here is another file, or nothing.
        return FileSignature.TryRead(path, out FileSignature here) != 0 ||
            here.DevMajor != running.DevMajor || here.DevMinor != running.DevMinor || here.Inode != running.Inode;
    }
}
