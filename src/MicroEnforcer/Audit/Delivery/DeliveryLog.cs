using Microsoft.Extensions.Logging;

namespace MicroEnforcer;

/// <summary>The audit sinks' own log lines (event ids 188-199): each a change of state, never one per retry.</summary>
internal static partial class Log
{
    [LoggerMessage(190, LogLevel.Information, "audit sink {Sink}: started (queue of {QueueSize} events)")]
    public static partial void AuditSinkStarted(ILogger log, string sink, int queueSize);

    [LoggerMessage(191, LogLevel.Warning, "audit sink {Sink}: delivery failing: {Error}; retrying (next in {Seconds:F1} s), events wait in the queue")]
    public static partial void AuditDeliveryFailing(ILogger log, string sink, string error, double seconds);

    [LoggerMessage(192, LogLevel.Warning, "audit sink {Sink}: circuit open after repeated failures: no delivery tried for {Seconds:F0} s, then one probe")]
    public static partial void AuditCircuitOpened(ILogger log, string sink, double seconds);

    [LoggerMessage(193, LogLevel.Information, "audit sink {Sink}: circuit closed: the receiver answers again")]
    public static partial void AuditCircuitClosed(ILogger log, string sink);

    [LoggerMessage(194, LogLevel.Information, "audit sink {Sink}: delivering again; {Dropped} events were dropped meanwhile (queue full)")]
    public static partial void AuditDeliveryRecovered(ILogger log, string sink, long dropped);

    [LoggerMessage(195, LogLevel.Warning, "audit sink {Sink}: {Dropped} events were dropped: the queue was full")]
    public static partial void AuditEventsDropped(ILogger log, string sink, long dropped);

    [LoggerMessage(196, LogLevel.Error, "audit sink {Sink}: the receiver refused {Count} events for good ({Answer}); they are dropped, as sending them again cannot succeed")]
    public static partial void AuditDeliveryRefused(ILogger log, string sink, int count, string answer);

    [LoggerMessage(197, LogLevel.Error, "audit sink {Sink}: delivering {Count} events failed unexpectedly; they are dropped and the sink goes on")]
    public static partial void AuditSinkFault(ILogger log, string sink, int count, Exception exception);

    [LoggerMessage(198, LogLevel.Information, "audit sink {Sink}: at exit, every queued event was delivered ({Delivered} in all)")]
    public static partial void AuditFlushed(ILogger log, string sink, long delivered);

    [LoggerMessage(199, LogLevel.Warning, "audit sink {Sink}: at exit, {Undelivered} events could not be delivered within the flush timeout of {Timeout} ({Delivered} delivered in all)")]
    public static partial void AuditFlushIncomplete(ILogger log, string sink, long undelivered, string timeout, long delivered);

    [LoggerMessage(189, LogLevel.Warning, "audit sinks: the ECS container metadata could not be read ({Error}); events carry the identity the environment gives")]
    public static partial void AuditEcsMetadataUnavailable(ILogger log, string error);

    [LoggerMessage(188, LogLevel.Error, "audit: {Error}")]
    public static partial void AuditEnvironmentRefused(ILogger log, string error);
}
