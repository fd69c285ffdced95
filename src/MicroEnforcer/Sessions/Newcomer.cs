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
}
