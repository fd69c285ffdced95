using MicroEnforcer.Interop;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// The thread that receives an exec session's notifications and posts them to the notify loop
/// (the workload's listener the notify loop receives from itself). A thread per session keeps
/// the notify loop's poll set fixed, and one session's traffic apart from the workload's.
/// Received callers wait killably (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so signals cannot
/// fail their calls while the notify loop gets to them.
///
/// A session's listener outlives nothing: when the last task using its filter is gone, poll()
/// reports POLLHUP, the receiver says so and ends, and the notify loop closes the listener.
/// </summary>
internal sealed class NotificationReceiver(NotificationListener listener, INotificationSink sink, ILogger log)
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
            if (Libc.Poll(&ready, 1, -1) < 0)
            {
                if (Libc.LastErrno == Libc.EINTR)
                    continue;
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(Libc.LastErrno));
                return;
            }
            if ((ready.revents & Libc.POLLIN) == 0)
            {
                // POLLHUP without POLLIN: nobody is left to notify, and nothing is pending.
                sink.Closed(listener);
                return;
            }

            if (!listener.TryReceive(out Libc.seccomp_notif notification, out int errno))
            {
                if (errno is Libc.EINTR or Libc.ENOENT)
                    continue;   // ENOENT: the caller was gone before we could receive it
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(errno));
                return;
            }
            sink.Received(listener, notification);
        }
    }
}
