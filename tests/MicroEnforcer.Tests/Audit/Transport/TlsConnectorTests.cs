using System.Text;
using MicroEnforcer.Audit.Transport;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Transport;

/// <summary>
/// The sinks' TLS client against real `openssl s_server` processes, with certificates made by
/// the openssl CLI (<see cref="TestPki"/>): a handshake and an echo where the server proves its
/// name, a refusal that says why where it does not.
/// </summary>
public sealed class TlsConnectorTests(TestPki pki) : IClassFixture<TestPki>
{
    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    [InlineData(null)]
    public void TheRightCa_HandshakesAndEchoes(string? version)
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"), version);

        Assert.Equal("olleh", Echo(server, "localhost", TlsTrust.Load(pki.PathOf("ca.pem")), "hello"));
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public void AnRsaCertificate_HandshakesAndEchoes(string version)
    {
        using var server = new OpenSslServer(pki.PathOf("rsa.pem"), pki.PathOf("rsa.key"), version);

        Assert.Equal("olleh", Echo(server, "localhost", TlsTrust.Load(pki.PathOf("ca.pem")), "hello"));
    }

    /// <summary>The NIST curves go through BouncyCastle's point arithmetic (and its blinding), X25519 does not.</summary>
    [Theory]
    [InlineData("-tls1_3", "P-256")]
    [InlineData("-tls1_2", "P-384")]
    [InlineData("-tls1_3", "X25519")]
    public void EachKeyExchangeGroup_HandshakesAndEchoes(string version, string group)
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"), version, groups: group);

        Assert.Equal("olleh", Echo(server, "localhost", TlsTrust.Load(pki.PathOf("ca.pem")), "hello"));
    }

    [Fact]
    public void AnIpAddress_IsMatchedAgainstTheIpSubjectAltName()
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"));

        Assert.Equal("olleh", Echo(server, "127.0.0.1", TlsTrust.Load(pki.PathOf("ca.pem")), "hello"));
    }

    [Fact]
    public void AChainThroughAnIntermediateTheServerSends_IsTrusted()
    {
        using var server = new OpenSslServer(pki.PathOf("via-intermediate.pem"), pki.PathOf("via-intermediate.key"), chain: pki.PathOf("intermediate.pem"));

        Assert.Equal("olleh", Echo(server, "localhost", TlsTrust.Load(pki.PathOf("ca.pem")), "hello"));
    }

    [Fact]
    public void AnExpiredCertificate_IsRefusedAsExpired()
    {
        using var server = new OpenSslServer(pki.PathOf("expired.pem"), pki.PathOf("expired.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("ca.pem"));

        Assert.Contains("the server's certificate 'CN=localhost' has expired", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateForAnotherName_IsRefusedAsNameMismatch()
    {
        using var server = new OpenSslServer(pki.PathOf("wrong-name.pem"), pki.PathOf("wrong-name.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("ca.pem"));

        // "*.localhost" does not cover "localhost" itself: a wildcard stands for exactly one label.
        Assert.Contains("name mismatch: the server's certificate is for DNS:elsewhere.test, DNS:*.localhost, not 'localhost'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASelfSignedCertificate_IsRefusedAsUnknownIssuer()
    {
        using var server = new OpenSslServer(pki.PathOf("self-signed.pem"), pki.PathOf("self-signed.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("ca.pem"));

        Assert.Contains($"unknown issuer: the server's certificate 'CN=localhost' is self-signed and not in caFile {pki.PathOf("ca.pem")}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateFromAnotherCa_IsRefusedAsUnknownIssuer()
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("other-ca.pem"));

        Assert.Contains("unknown issuer: the server's certificate 'CN=localhost' is issued by 'CN=MicroEnforcer Test CA', which is not in caFile", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIntermediateTheServerDoesNotSend_IsAnUnknownIssuer()
    {
        using var server = new OpenSslServer(pki.PathOf("via-intermediate.pem"), pki.PathOf("via-intermediate.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("ca.pem"));

        Assert.Contains("is issued by 'CN=MicroEnforcer Test Intermediate', which is not in caFile", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateForClientAuthenticationOnly_IsRefused()
    {
        using var server = new OpenSslServer(pki.PathOf("client-only.pem"), pki.PathOf("client-only.key"));

        TlsVerificationException refused = Refused(server, "localhost", pki.PathOf("ca.pem"));

        Assert.Contains("the extended key usage of 'CN=localhost' does not include serverAuth", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACaFileThatChanges_IsReadAgain()
    {
        string caFile = pki.PathOf("rotating-ca.pem");
        File.Copy(pki.PathOf("other-ca.pem"), caFile, overwrite: true);
        TlsTrust trust = TlsTrust.Load(caFile);
        using (var first = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key")))
        {
            using Stream transport = first.Connect();
            Assert.Throws<TlsVerificationException>(() => TlsConnector.Connect(transport, "localhost", trust));
        }

        // A bundle of both CAs, as a rotation writes it: a different size, so a change whatever the clock's resolution.
        File.WriteAllText(caFile, File.ReadAllText(pki.PathOf("other-ca.pem")) + "\n# the new CA\n" + File.ReadAllText(pki.PathOf("ca.pem")));
        using var second = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"));

        Assert.Equal("olleh", Echo(second, "localhost", trust, "hello"));
    }

    [Fact]
    public void AMissingCaFile_IsAnErrorNamingIt()
    {
        string missing = pki.PathOf("no-such-ca.pem");

        IOException error = Assert.Throws<IOException>(() => TlsTrust.Load(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutACaFile_TheSystemBundleIsTrusted()
    {
        TlsTrust trust = TlsTrust.Load(null);

        Assert.Equal(TlsTrust.SystemBundles.First(File.Exists), trust.Path);
        Assert.False(trust.IsCaFile);
        Assert.True(trust.Anchors().Count > 10);
    }

    private static string Echo(OpenSslServer server, string serverName, TlsTrust trust, string line)
    {
        using Stream tls = TlsConnector.Connect(server.Connect(), serverName, trust);
        tls.Write(Encoding.ASCII.GetBytes(line + "\n"));
        tls.Flush();
        var reply = new StringBuilder();
        int b;
        while ((b = tls.ReadByte()) >= 0 && b != '\n')
            reply.Append((char)b);
        return reply.ToString();
    }

    private static TlsVerificationException Refused(OpenSslServer server, string serverName, string caFile)
    {
        using Stream transport = server.Connect();
        return Assert.Throws<TlsVerificationException>(() => TlsConnector.Connect(transport, serverName, TlsTrust.Load(caFile)));
    }
}
