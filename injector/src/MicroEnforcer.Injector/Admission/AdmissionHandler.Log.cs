using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Admission;

// Log messages with stable event ids (source-generated).
internal sealed partial class AdmissionHandler
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "pod {PodNamespace}/{Pod} (uid {Uid}): inject={Inject}, {Reason}")]
    private static partial void LogDecision(ILogger logger, string uid, string podNamespace, string pod, bool inject, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "pod {PodNamespace}/{Pod} (uid {Uid}): injected, {Operations} patch operations")]
    private static partial void LogInjected(ILogger logger, string uid, string podNamespace, string pod, int operations);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "pod {PodNamespace}/{Pod} (uid {Uid}): image resolution failed, denied={Denied}: {Reason}")]
    private static partial void LogResolveFailed(ILogger logger, Exception exception, string uid, string podNamespace, string pod, bool denied, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "exec into {PodNamespace}/{Pod} container '{Container}' (uid {Uid}): wrapped={Wrapped}")]
    private static partial void LogExecWrapped(ILogger logger, string uid, string podNamespace, string pod, string container, bool wrapped);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "exec into {PodNamespace}/{Pod} (uid {Uid}): cannot read the pod, not wrapped: {Reason}")]
    private static partial void LogExecLookupFailed(ILogger logger, Exception exception, string uid, string podNamespace, string pod, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "request {Uid}: unexpected {What}, admitted unchanged")]
    private static partial void LogUnexpected(ILogger logger, string uid, string what);
}
