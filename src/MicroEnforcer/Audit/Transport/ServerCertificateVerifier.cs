using System.Globalization;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509.Store;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// Whether the certificates a TLS server sent prove it is <c>serverName</c>:
/// <list type="number">
/// <item>a chain from the first certificate to one of the trusted certificates builds and
/// validates (RFC 5280 path validation by BouncyCastle's PkixCertPathBuilder: signatures, issuer
/// names, basic constraints and path length, key usage, name constraints, policies), with every
/// certificate of the chain, the trusted one included, inside its validity period;</item>
/// <item>the first certificate names the server (<see cref="ServerIdentity"/>);</item>
/// <item>its extended key usage, when it has one, includes serverAuth (or anyExtendedKeyUsage).</item>
/// </list>
/// Revocation is not checked (no CRL, no OCSP, no stapled response). A refusal says why.
/// </summary>
internal static class ServerCertificateVerifier
{
    /// <param name="chain">As the server sent it: its own certificate first.</param>
    /// <exception cref="TlsVerificationException">The chain does not prove the server's identity; the message says why.</exception>
    public static void Verify(IReadOnlyList<X509Certificate> chain, string serverName, TlsTrust trust, DateTime now)
    {
        if (chain.Count == 0)
            throw TlsVerificationException.Refused("the server sent no certificate");
        X509Certificate leaf = chain[0];
        ISet<TrustAnchor> anchors = trust.Anchors();

        var parameters = new PkixBuilderParameters(anchors, new X509CertStoreSelector { Certificate = leaf })
        {
            IsRevocationEnabled = false,
            Date = now,
        };
        parameters.AddStoreCert(CollectionUtilities.CreateStore(chain));
        PkixCertPathBuilderResult built;
        try
        {
            built = new PkixCertPathBuilder().Build(parameters);
        }
        catch (PkixCertPathBuilderException e)
        {
            throw Explain(chain, anchors, trust, now, e);
        }

        // Path validation takes the trusted certificate as given; an expired root is refused too.
        X509Certificate? root = built.TrustAnchor.TrustedCert;
        if (root is not null && !root.IsValid(now))
            throw OutsideValidity("the trusted CA certificate", root, now);

        if (!ServerIdentity.Matches(leaf, serverName))
            throw TlsVerificationException.Refused($"name mismatch: the server's certificate is for {ServerIdentity.Describe(leaf)}, not '{serverName}'");

        IList<Org.BouncyCastle.Asn1.DerObjectIdentifier>? usages = leaf.GetExtendedKeyUsage();
        if (usages is not null && !usages.Contains(KeyPurposeID.id_kp_serverAuth) && !usages.Contains(KeyPurposeID.AnyExtendedKeyUsage))
            throw TlsVerificationException.Refused($"not a server certificate: the extended key usage of '{leaf.SubjectDN}' does not include serverAuth");
    }

    /// <summary>
    /// Why no path was found, in the words an operator acts on: walks up from the server's
    /// certificate by issuer name through what the server sent, and names the first certificate
    /// out of its validity period or the first issuer that is neither sent nor trusted.
    /// </summary>
    private static TlsVerificationException Explain(IReadOnlyList<X509Certificate> chain, ISet<TrustAnchor> anchors, TlsTrust trust, DateTime now, PkixCertPathBuilderException failure)
    {
        X509Certificate current = chain[0];
        string role = "the server's certificate";
        for (int depth = 0; depth <= chain.Count; depth++)
        {
            if (!current.IsValid(now))
                return OutsideValidity(role, current, now);
            X509Certificate? trusted = anchors.Select(a => a.TrustedCert).FirstOrDefault(c => c is not null && c.SubjectDN.Equivalent(current.IssuerDN));
            if (trusted is not null)
            {
                if (!trusted.IsValid(now))
                    return OutsideValidity("the trusted CA certificate", trusted, now);
                return TlsVerificationException.Refused($"{role} '{current.SubjectDN}' names the trusted CA '{trusted.SubjectDN}' as its issuer but does not validate against it: {failure.Message}");
            }
            X509Certificate? issuer = chain.FirstOrDefault(c => !ReferenceEquals(c, current) && c.SubjectDN.Equivalent(current.IssuerDN));
            if (issuer is null)
            {
                return TlsVerificationException.UnknownIssuer(current.IssuerDN.Equivalent(current.SubjectDN)
                    ? $"unknown issuer: {role} '{current.SubjectDN}' is self-signed and not in {trust.Description}"
                    : $"unknown issuer: {role} '{current.SubjectDN}' is issued by '{current.IssuerDN}', which is not in {trust.Description}");
            }
            current = issuer;
            role = "the intermediate CA certificate";
        }
        return TlsVerificationException.UnknownIssuer($"unknown issuer: no chain to a certificate in {trust.Description}: {failure.Message}");
    }

    private static TlsVerificationException OutsideValidity(string role, X509Certificate certificate, DateTime now) =>
        now > certificate.NotAfter
            ? TlsVerificationException.Expired($"{role} '{certificate.SubjectDN}' has expired: valid until {Time(certificate.NotAfter)}, now {Time(now)}")
            : TlsVerificationException.Expired($"{role} '{certificate.SubjectDN}' is not yet valid: valid from {Time(certificate.NotBefore)}, now {Time(now)}");

    private static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
