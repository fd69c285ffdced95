using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Hosting;

// Log messages with stable event ids (source-generated).
public static partial class WebhookServer
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "request rejected with {Status}: {Reason}")]
    private static partial void LogRejected(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "request failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string reason);
}
