using MicroEnforcer.Interop;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// The one thread that blocks in SECCOMP_IOCTL_NOTIF_RECV for one listener. RECV ignores
/// O_NONBLOCK, and a notification that poll() reported can be withdrawn (its caller interrupted)
/// before RECV takes it; a thread blocked there could then wait indefinitely. That must never be
/// the notify loop's thread, which is also the tracer: a tracee stopped at its exec event would
/// wait for it too (found in testing: a workload hung at PTRACE_EVENT_EXEC). So each listener has
/// a receiving thread of its own, which hands each notification over and is receiving again at
/// once; received callers wait killably (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so signals
/// cannot fail their calls. A thread per listener also keeps one session's withdrawn
/// notification from delaying the workload's.
///
/// A session's listener outlives nothing: when the last task using its filter is gone, poll()
/// reports POLLHUP, the receiver says so and ends, and the notify loop closes the listener. The
/// workload's listener lives as long as PID 1, so its receiver skips the poll (one syscall less
/// per notification on the hot path).
/// </summary>
internal sealed class NotificationReceiver(NotificationListener listener, NotifyInbox inbox, ILogger log, bool endsWithItsTasks)
{
    public void Start()
    {
        NamedThread.Start("seccomp-receive", Run);
    }

    private unsafe void Run()
    {
        var ready = new Libc.pollfd { fd = listener.Fd, events = Libc.POLLIN };
        while (true)
        {
            ready.revents = Libc.POLLIN;
            if (endsWithItsTasks && Libc.Poll(&ready, 1, -1) < 0)
            {
                if (Libc.LastErrno == Libc.EINTR)
                    continue;
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(Libc.LastErrno));
                return;
            }
            if (endsWithItsTasks && (ready.revents & Libc.POLLIN) == 0)
            {
                // POLLHUP without POLLIN: nobody is left to notify, and nothing is pending.
                inbox.Post(new NotifyWork.ListenerClosed(listener));
                return;
            }

            Libc.seccomp_notif notification = default;   // the kernel insists on a zeroed buffer
            if (Libc.Ioctl(listener.Fd, Libc.SECCOMP_IOCTL_NOTIF_RECV, &notification) != 0)
            {
                int errno = Libc.LastErrno;
                if (errno is Libc.EINTR or Libc.ENOENT)
                    continue;   // ENOENT: the caller was gone before we could receive it
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(errno));
                return;
            }
            inbox.Post(new NotifyWork.Notification(listener, notification));
        }
    }
}
