using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>Starts receiving from a listener: the workload's at start, then one per exec session.</summary>
internal sealed class NotificationListeners(NotifyInbox inbox, ILogger log)
{
    public NotificationListener Workload(int fd)
    {
        var listener = new NotificationListener(fd, "workload");
        new NotificationReceiver(listener, inbox, log, endsWithItsTasks: false).Start();
        return listener;
    }

    /// <summary>Takes ownership of <paramref name="fd"/>; safe from any thread.</summary>
    public NotificationListener Session(int fd, string origin)
    {
        var listener = new NotificationListener(fd, origin);
        new NotificationReceiver(listener, inbox, log, endsWithItsTasks: true).Start();
        return listener;
    }
}
