using System.Collections.Concurrent;
using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Supervision;

/// <summary>
/// The notify loop's input from other threads: notifications from the exec sessions' receivers,
/// newcomers from the session watcher, and from the reaper (until the loop reaps itself, or while
/// the loop is held) the stops and exits of traced tasks (any thread of the tracer's process may
/// collect them with waitpid; only the tracer's thread may act on them) and signals to forward.
/// The eventfd wakes the loop.
/// </summary>
internal sealed class NotifyInbox : INotificationSink, IDisposable
{
    private readonly ConcurrentQueue<NotifyWork> _work = new();

    public NotifyInbox()
    {
        WakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.O_NONBLOCK);
        if (WakeFd < 0)
            throw new SystemCallException("eventfd", Libc.LastErrno);
    }

    public int WakeFd { get; }

    public void Post(NotifyWork work)
    {
        _work.Enqueue(work);
        Wake();
    }

    /// <summary>Wakes the loop with nothing queued here: the reaper queued work of its own for it.</summary>
    public void Received(NotificationListener listener, in Libc.seccomp_notif notification) =>
        Post(new NotifyWork.Notification(listener, notification));

    public void Closed(NotificationListener listener) => Post(new NotifyWork.ListenerClosed(listener));

    public unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(WakeFd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Called by the tracer's thread when WakeFd is readable.</summary>
    public unsafe void Drain(Action<NotifyWork> handle)
    {
        ulong counter;
        Libc.Read(WakeFd, (byte*)&counter, sizeof(ulong));
        while (_work.TryDequeue(out NotifyWork? work))
            handle(work);
    }

    public void Dispose() => Libc.Close(WakeFd);
}
