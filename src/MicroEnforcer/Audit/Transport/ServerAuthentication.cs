using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Tls;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The handshake's hook for the server's certificate chain: refused unless
/// <see cref="ServerCertificateVerifier"/> accepts it, with the matching alert sent to the server.
/// No client certificate is offered.
/// </summary>
internal sealed class ServerAuthentication(string serverName, TlsTrust trust) : TlsAuthentication
{
    public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
    {
        Certificate sent = serverCertificate.Certificate;
        var chain = new List<X509Certificate>(sent.Length);
        for (int i = 0; i < sent.Length; i++)
            chain.Add(new X509Certificate(X509CertificateStructure.GetInstance(sent.GetCertificateAt(i).GetEncoded())));
        try
        {
            ServerCertificateVerifier.Verify(chain, serverName, trust, DateTime.UtcNow);
        }
        catch (TlsVerificationException refused)
        {
            throw new TlsFatalAlert(refused.Alert, refused.Message, refused);
        }
    }

    public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => null;
}
