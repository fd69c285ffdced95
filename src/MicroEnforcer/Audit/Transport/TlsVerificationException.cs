using Org.BouncyCastle.Tls;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The server's certificate was refused. The message says why in words that go to PID 1's log
/// as they are (expired, unknown issuer, name mismatch, not for server authentication); the
/// alert is what the server is told. An IOException, so that HttpClient and the syslog sender
/// treat it as the connection failure it is.
/// </summary>
internal sealed class TlsVerificationException(string message, short alert) : IOException(message)
{
    /// <summary>The TLS alert (AlertDescription) sent to the server.</summary>
    public short Alert { get; } = alert;

    internal static TlsVerificationException Expired(string message) => new(message, AlertDescription.certificate_expired);

    internal static TlsVerificationException UnknownIssuer(string message) => new(message, AlertDescription.unknown_ca);

    internal static TlsVerificationException Refused(string message) => new(message, AlertDescription.bad_certificate);
}
