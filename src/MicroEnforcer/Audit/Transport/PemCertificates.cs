using Org.BouncyCastle.Asn1.X509;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The certificates of a PEM bundle, in order. Written here rather than with BouncyCastle's
/// PemReader because bundles carry text between the blocks (RHEL's ca-bundle.crt has a comment
/// per CA, `openssl x509 -text` output puts the dump before the block) and other block types
/// (a key beside the certificate): only CERTIFICATE blocks are read, everything else is skipped.
/// </summary>
internal static class PemCertificates
{
    private const string Begin = "-----BEGIN CERTIFICATE-----";
    private const string End = "-----END CERTIFICATE-----";

    /// <exception cref="IOException">A CERTIFICATE block is not base64 or not a certificate; <paramref name="source"/> names the file.</exception>
    public static IReadOnlyList<X509Certificate> Parse(string text, string source)
    {
        var certificates = new List<X509Certificate>();
        int at = 0;
        while ((at = text.IndexOf(Begin, at, StringComparison.Ordinal)) >= 0)
        {
            int body = at + Begin.Length;
            int end = text.IndexOf(End, body, StringComparison.Ordinal);
            if (end < 0)
                throw new IOException($"{source}: certificate {certificates.Count + 1} has no {End} line");
            try
            {
                byte[] der = Convert.FromBase64String(text[body..end]);
                certificates.Add(new X509Certificate(X509CertificateStructure.GetInstance(der)));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidCastException or IOException)
            {
                throw new IOException($"{source}: certificate {certificates.Count + 1} cannot be read: {e.Message}", e);
            }
            at = end + End.Length;
        }
        return certificates;
    }
}
