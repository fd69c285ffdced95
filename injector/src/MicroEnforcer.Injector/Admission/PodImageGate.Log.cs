using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Admission;

// Log messages with stable event ids (source-generated); 20-29 are the image controls'.
internal sealed partial class PodImageGate
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "pod {PodNamespace}/{Pod} (uid {Uid}): image controls {Outcome}: {Violation}")]
    private static partial void LogViolation(ILogger logger, string uid, string podNamespace, string pod, string outcome, string violation);
}
