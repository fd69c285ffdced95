using MicroEnforcer.Audit.Transport;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Transport;

public sealed class PemCertificatesTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void ABundleWithCommentsAndAKey_YieldsItsCertificatesInOrder()
    {
        string bundle = "# MicroEnforcer Test CA\n" + File.ReadAllText(pki.PathOf("ca.pem"))
            + File.ReadAllText(pki.PathOf("leaf.key"))
            + "Subject: CN=Some Other CA\n" + File.ReadAllText(pki.PathOf("other-ca.pem"));

        var certificates = PemCertificates.Parse(bundle, "bundle.pem");

        Assert.Equal(["CN=MicroEnforcer Test CA", "CN=Some Other CA"], certificates.Select(c => c.SubjectDN.ToString()));
    }

    [Fact]
    public void ABrokenBlock_IsAnErrorNamingTheFileAndTheCertificate()
    {
        string bundle = File.ReadAllText(pki.PathOf("ca.pem")) + "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";

        IOException error = Assert.Throws<IOException>(() => PemCertificates.Parse(bundle, "bundle.pem"));

        Assert.StartsWith("bundle.pem: certificate 2 cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileWithoutCertificates_IsRefusedAsACaFile()
    {
        IOException error = Assert.Throws<IOException>(() => TlsTrust.Load(pki.PathOf("leaf.key")));

        Assert.Contains("no PEM certificate", error.Message, StringComparison.Ordinal);
    }
}
