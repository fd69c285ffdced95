using System.Text;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The client side of a sink's TLS handshake: TLS 1.3 or 1.2, forward-secret AEAD suites only
/// (ECDHE; no finite-field DHE, no RSA key transport, no CBC), SNI for a DNS server name.
/// </summary>
internal sealed class AuditTlsClient(TlsCrypto crypto, string serverName, TlsTrust trust) : DefaultTlsClient(crypto)
{
    private static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_AES_128_GCM_SHA256,
        CipherSuite.TLS_AES_256_GCM_SHA384,
        CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

    protected override int[] GetSupportedCipherSuites() => TlsUtilities.GetSupportedCipherSuites(Crypto, CipherSuites);

    protected override IList<ServerName>? GetSniServerNames() =>
        ServerIdentity.IsDnsName(serverName) ? [new ServerName(NameType.host_name, Encoding.ASCII.GetBytes(serverName))] : null;

    public override TlsAuthentication GetAuthentication() => new ServerAuthentication(serverName, trust);
}
