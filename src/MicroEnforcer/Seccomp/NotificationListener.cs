using MicroEnforcer.Interop;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// One seccomp notification listener: the workload's (its filter was installed by the launch
/// shim), or an exec session's (installed by `microenforcer exec`, or injected into a process
/// that entered the container from outside). Each filter has its own listener; the notify loop
/// answers them all alike. Only the notify loop closes it, after the receiver reported it done.
/// </summary>
internal sealed class NotificationListener(int fd, string origin) : INotificationAnswers
{
    public int Fd { get; } = fd;

    /// <summary>For logs: "workload", or which session.</summary>
    public string Origin { get; } = origin;

    public override string ToString() => Origin;

    /// <summary>
    /// Takes one notification. RECV blocks until there is one (it ignores O_NONBLOCK), so callers
    /// first poll for POLLIN; then it returns at once: the kernel counts every notification it
    /// queues, and one withdrawn before we took it (its caller was killed) leaves its count
    /// behind, so RECV answers ENOENT instead of waiting for the next. False: nothing taken
    /// (<paramref name="errno"/> says why; EINTR and ENOENT are routine).
    /// </summary>
    public unsafe bool TryReceive(out Libc.seccomp_notif notification, out int errno)
    {
        notification = default;   // the kernel insists on a zeroed buffer
        fixed (Libc.seccomp_notif* buffer = &notification)
        {
            if (Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_RECV, buffer) == 0)
            {
                errno = 0;
                return true;
            }
        }
        errno = Libc.LastErrno;
        return false;
    }

    /// <summary>
    /// Asks the kernel to wake us on the CPU of the caller that just blocked on a notification,
    /// and the caller on ours when we answer (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): the
    /// notify round trip becomes two switches on one CPU instead of two cross-CPU wake-ups.
    /// Best effort: older kernels answer EINVAL and work as before.
    /// </summary>
    public unsafe void PreferSynchronousWakeUps() =>
        Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_SET_FLAGS, (void*)Libc.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);

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

    /// <summary>The call returns <paramref name="value"/> without running: PID 1 performed it (no CONTINUE).</summary>
    public unsafe void RespondWithValue(ulong id, long value)
    {
        var response = new Libc.seccomp_notif_resp { id = id, val = value };
        Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_SEND, &response);
    }

    public unsafe int RespondWithDescriptor(ulong id, int fd, bool closeOnExec)
    {
        var add = new Libc.seccomp_notif_addfd
        {
            id = id, flags = Libc.SECCOMP_ADDFD_FLAG_SEND, srcfd = (uint)fd, newfd_flags = closeOnExec ? (uint)Libc.O_CLOEXEC : 0,
        };
        int installed = Libc.Ioctl(Fd, Libc.SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        return installed >= 0 ? installed : -Libc.LastErrno;
    }
}
