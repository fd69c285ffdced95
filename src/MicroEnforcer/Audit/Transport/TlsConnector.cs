using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// TLS for the audit sinks (OTLP and falcosidekick over HTTPS, syslog over RFC 5425), in managed
/// code: .NET's SslStream and System.Security.Cryptography call OpenSSL, which this fully static
/// binary cannot load. BouncyCastle speaks the protocol; its randomness comes from getrandom(2)
/// (<see cref="KernelRandomGenerator"/>); the server is verified by <see cref="ServerCertificateVerifier"/>.
/// </summary>
internal static class TlsConnector
{
    /// <summary>
    /// Runs the client handshake over <paramref name="transport"/> (a connected socket's stream)
    /// and returns the stream of application data: the HTTP senders hand it to
    /// SocketsHttpHandler.ConnectCallback (with an http:// request URI), the syslog sender writes
    /// frames to it. One reader and one writer may use it at once, synchronously or asynchronously
    /// (<see cref="TlsApplicationStream"/>). Disposing it sends close_notify and closes
    /// <paramref name="transport"/>, which it owns from now on, also when the handshake fails.
    /// </summary>
    /// <param name="serverName">The host the sink was configured with: a DNS name (sent as SNI) or an IP address.</param>
    /// <exception cref="TlsVerificationException">The server's certificate was refused; the message says why.</exception>
    /// <exception cref="IOException">The handshake failed otherwise (no common version or suite, an alert from the server, the connection closed).</exception>
    public static Stream Connect(Stream transport, string serverName, TlsTrust trust)
    {
        var crypto = new BcTlsCrypto(new SecureRandom(new KernelRandomGenerator()));
        var protocol = new TlsClientProtocol(transport);
        try
        {
            protocol.Connect(new AuditTlsClient(crypto, serverName, trust));
            return new TlsApplicationStream(protocol, transport);
        }
        catch (TlsFatalAlert alert) when (alert.InnerException is TlsVerificationException refused)
        {
            transport.Dispose();
            throw new TlsVerificationException($"TLS with {serverName}: certificate refused: {refused.Message}", refused.Alert);
        }
        catch (IOException e)
        {
            transport.Dispose();
            throw new IOException($"TLS handshake with {serverName} failed: {e.Message}", e);
        }
    }
}
