using System.Net;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// Whether a certificate names the server the sink connects to (RFC 6125, as browsers apply it):
/// a DNS name is matched against the subjectAltName DNS entries, case-insensitively, where a
/// wildcard may only be the whole left-most label ("*.example.com" matches "a.example.com", not
/// "example.com" nor "a.b.example.com"); an IP address is matched against the IP entries, byte
/// for byte. The subject's common name is never used (RFC 6125 6.4.4 allows it only without
/// SANs; the CA/Browser Forum has required SANs since 2012 and Go, Chrome and Firefox ignore
/// the CN), so a certificate without a matching SAN is refused.
/// </summary>
internal static class ServerIdentity
{
    public static bool Matches(X509Certificate certificate, string serverName)
    {
        GeneralNames? names = certificate.GetSubjectAlternativeNameExtension();
        if (names is null)
            return false;
        bool isAddress = IPAddress.TryParse(serverName, out IPAddress? address);
        foreach (GeneralName name in names.GetNames())
        {
            if (isAddress && name.TagNo == GeneralName.IPAddress)
            {
                if (Asn1OctetString.GetInstance(name.Name).GetOctets().AsSpan().SequenceEqual(address!.GetAddressBytes()))
                    return true;
            }
            else if (!isAddress && name.TagNo == GeneralName.DnsName
                     && MatchesDnsName(DerIA5String.GetInstance(name.Name).GetString(), serverName))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The certificate's names as the refusal quotes them: "DNS:localhost, IP:127.0.0.1".</summary>
    public static string Describe(X509Certificate certificate)
    {
        GeneralNames? names = certificate.GetSubjectAlternativeNameExtension();
        if (names is null)
            return $"no subjectAltName (subject {certificate.SubjectDN})";
        var text = new StringBuilder();
        foreach (GeneralName name in names.GetNames())
        {
            if (text.Length > 0)
                text.Append(", ");
            text.Append(name.TagNo switch
            {
                GeneralName.DnsName => "DNS:" + DerIA5String.GetInstance(name.Name).GetString(),
                GeneralName.IPAddress => "IP:" + DescribeAddress(Asn1OctetString.GetInstance(name.Name).GetOctets()),
                _ => $"(name type {name.TagNo})",
            });
        }
        return text.ToString();
    }

    /// <summary>One SAN DNS entry against a host name; a trailing dot on either is the same name.</summary>
    public static bool MatchesDnsName(string pattern, string host)
    {
        pattern = pattern.TrimEnd('.');
        host = host.TrimEnd('.');
        if (pattern.Length == 0 || host.Length == 0)
            return false;
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
            return !pattern.Contains('*', StringComparison.Ordinal) && string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);

        // "*.example.com": the rest holds no other wildcard and at least two labels (no "*.com"),
        // and the host is exactly one non-empty label more.
        string suffix = pattern[1..];
        if (suffix.Contains('*', StringComparison.Ordinal) || suffix.Count(c => c == '.') < 2)
            return false;
        int firstDot = host.IndexOf('.', StringComparison.Ordinal);
        return firstDot > 0 && string.Equals(host[firstDot..], suffix, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>SNI carries DNS names only (RFC 6066 3): not for an IP address.</summary>
    public static bool IsDnsName(string serverName) => !IPAddress.TryParse(serverName, out _);

    private static string DescribeAddress(byte[] octets) =>
        octets.Length is 4 or 16 ? new IPAddress(octets).ToString() : Convert.ToHexString(octets);
}
