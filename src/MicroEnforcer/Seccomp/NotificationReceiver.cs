using MicroEnforcer.Interop;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// The one thread that blocks in SECCOMP_IOCTL_NOTIF_RECV. RECV ignores O_NONBLOCK, and a
/// notification that poll() reported can be withdrawn (its caller interrupted) before RECV takes
/// it; a thread blocked there could then wait indefinitely. That must never be the notify loop's
/// thread, which is also the tracer: a tracee stopped at its exec event would wait for it too
/// (found in testing: a workload hung at PTRACE_EVENT_EXEC). So receiving is a thread of its own,
/// which hands each notification over and is receiving again at once; received callers wait
/// killably (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so signals cannot fail their calls.
/// </summary>
internal sealed class NotificationReceiver(int listenerFd, NotifyInbox inbox, ILogger log)
{
    public void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "seccomp-receiver" };
        thread.Start();
    }

    private unsafe void Run()
    {
        while (true)
        {
            Libc.seccomp_notif notification = default;   // the kernel insists on a zeroed buffer
            if (Libc.Ioctl(listenerFd, Libc.SECCOMP_IOCTL_NOTIF_RECV, &notification) != 0)
            {
                int errno = Libc.LastErrno;
                if (errno is Libc.EINTR or Libc.ENOENT)
                    continue;   // ENOENT: the caller was gone before we could receive it
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(errno));
                return;
            }
            inbox.Post(new NotifyWork.Notification(notification));
        }
    }
}
