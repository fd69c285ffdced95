namespace MicroEnforcer.Seccomp;

/// <summary>
/// One seccomp notification listener: the workload's (its filter was installed by the launch
/// shim), or an exec session's (installed by `microenforcer exec`, or injected into a process
/// that entered the container from outside). Each filter has its own listener; the notify loop
/// answers them all alike. Only the notify loop closes it, after the receiver reported it done.
/// </summary>
internal sealed class NotificationListener(int fd, string origin)
{
    public int Fd { get; } = fd;

    /// <summary>For logs: "workload", or which session.</summary>
    public string Origin { get; } = origin;

    public override string ToString() => Origin;
}
