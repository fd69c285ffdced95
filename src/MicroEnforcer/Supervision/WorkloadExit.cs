using MicroEnforcer.Interop;

namespace MicroEnforcer.Supervision;

/// <summary>How the workload ended, as the launcher's own exit status: its code, or 128+signal.</summary>
internal readonly record struct WorkloadExit(int ExitCode, int? Signal)
{
    public static WorkloadExit FromWaitStatus(int status) =>
        Libc.WIFSIGNALED(status)
            ? new WorkloadExit(128 + Libc.WTERMSIG(status), Libc.WTERMSIG(status))
            : new WorkloadExit(Libc.WEXITSTATUS(status), null);
}
