using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Tls;

// Log messages with stable event ids (source-generated).
public sealed partial class CertificateReloader
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "serving certificate loaded: {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:o}")]
    private static partial void LogLoaded(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 21, Level = LogLevel.Error, Message = "cannot load the certificate {CertPath} / {KeyPath}, keeping the previous one: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string certPath, string keyPath, string reason);
}
