using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Supervision;

/// <summary>What the notify loop's thread is handed (by the receivers, the reaper and the session
/// watcher), in arrival order.</summary>
internal abstract record NotifyWork
{
    /// <summary>A notification a receiver took from a listener.</summary>
    public sealed record Notification(NotificationListener Listener, Libc.seccomp_notif Value) : NotifyWork;

    /// <summary>No task uses the listener's filter any more; everything it received was posted before this.</summary>
    public sealed record ListenerClosed(NotificationListener Listener) : NotifyWork;

    /// <summary>A signal PID 1 received, to forward to the workload (see NotifyLoop.Forward).</summary>
    public sealed record ForwardSignal(int Signal, int Target) : NotifyWork;

    /// <summary>waitpid reported a traced task stopped.</summary>
    public sealed record Stopped(int Pid, int Status) : NotifyWork;

    /// <summary>A task is gone.</summary>
    public sealed record Exited(int Pid) : NotifyWork;

    /// <summary>The reaper offers the loop its job: from now on the loop polls the signalfd and
    /// drains waitpid itself (see <see cref="Reaper"/>).</summary>
    public sealed record ReapingOffered(Reaper Reaper) : NotifyWork;

    /// <summary>A process that entered the container from outside (an exec session) and is not
    /// under enforcement; reported again at every scan until it is (FirstSeen: when it was first).</summary>
    public sealed record Newcomer(int Pid, string Reason, long FirstSeen) : NotifyWork;

    /// <summary>The image baseline is recorded: the execs held for it can be decided now.</summary>
    public sealed record BaselineRecorded : NotifyWork;

    /// <summary>The image baseline's hashing is over and the content stamps retired: the time calls held for it can go.</summary>
    public sealed record BaselineHashed : NotifyWork;

    /// <summary>
    /// A policy reload's new generation of controls: <paramref name="Install"/> runs on the loop's
    /// thread between two decisions, then <paramref name="Done"/> is set (see PolicyReloader).
    /// </summary>
    public sealed record InstallControls(Action Install, ManualResetEventSlim Done) : NotifyWork;
}
