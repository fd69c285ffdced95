using MicroEnforcer.Interop;

namespace MicroEnforcer.Seccomp;

/// <summary>What the notify loop's thread is handed (by the receiver and the reaper), in arrival order.</summary>
internal abstract record NotifyWork
{
    /// <summary>A notification the receiver took from the listener.</summary>
    public sealed record Notification(Libc.seccomp_notif Value) : NotifyWork;

    /// <summary>A signal PID 1 received, to forward to the workload (see NotifyLoop.Forward).</summary>
    public sealed record ForwardSignal(int Signal, int Target) : NotifyWork;

    /// <summary>waitpid reported a traced task stopped.</summary>
    public sealed record Stopped(int Pid, int Status) : NotifyWork;

    /// <summary>A task is gone.</summary>
    public sealed record Exited(int Pid) : NotifyWork;
}
