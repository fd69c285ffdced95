using MicroEnforcer.Interop;

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

    /// <summary>The caller of notification <paramref name="id"/> still waits for our answer.</summary>
    public unsafe bool IsStillValid(ulong id) => Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;

    /// <summary>0 lets the call proceed (CONTINUE); a negative errno fails it.</summary>
    public unsafe void Respond(ulong id, int negativeErrno)
    {
        var response = new Libc.seccomp_notif_resp
        {
            id = id,
            error = negativeErrno,
            flags = negativeErrno == 0 ? Libc.SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0,
        };
        // ENOENT: the caller died or was interrupted by a signal meanwhile; it will ask again.
        Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_SEND, &response);
    }
}
