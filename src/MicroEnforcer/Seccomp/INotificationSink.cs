using MicroEnforcer.Interop;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Where a listener's receiver thread hands what it received: PID 1's event loop (its inbox),
/// which answers every notification on its own thread.
/// </summary>
internal interface INotificationSink
{
    void Received(NotificationListener listener, in Libc.seccomp_notif notification);

    /// <summary>No task uses the listener any more: its fd may be closed, on the loop's thread.</summary>
    void Closed(NotificationListener listener);
}
