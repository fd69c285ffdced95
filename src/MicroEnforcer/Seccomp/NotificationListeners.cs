using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>The listeners: the workload's, and one per exec session, each with a receiving thread of its own.</summary>
internal sealed class NotificationListeners(INotificationSink sink, ILogger log)
{
    /// <summary>The workload's listener: the notify loop receives from it itself.</summary>
    public static NotificationListener Workload(int fd) => new(fd, "workload");

    /// <summary>Takes ownership of <paramref name="fd"/>; safe from any thread.</summary>
    public NotificationListener Session(int fd, string origin)
    {
        var listener = new NotificationListener(fd, origin);
        new NotificationReceiver(listener, sink, log).Start();
        return listener;
    }
}
