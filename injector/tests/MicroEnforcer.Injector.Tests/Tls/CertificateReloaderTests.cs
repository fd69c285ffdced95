using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MicroEnforcer.Injector.Tls;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Tls;

/// <summary>What the reloader does with files that are missing, half-written or mismatched.</summary>
public sealed class CertificateReloaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-reload-").FullName;

    private string Cert => Path.Combine(_dir, "tls.crt");

    private string Key => Path.Combine(_dir, "tls.key");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MissingFilesFailStartupWithTheReason()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new CertificateReloader(Cert, Key, TimeSpan.FromHours(1), NullLogger<CertificateReloader>.Instance));
        Assert.Contains("no usable TLS certificate", e.Message);
    }

    [Fact]
    public void ABadNewPairKeepsTheCurrentCertificateAndAGoodOneReplacesIt()
    {
        Write("CN=first", out _);
        using var reloader = new CertificateReloader(Cert, Key, TimeSpan.FromHours(1), NullLogger<CertificateReloader>.Instance);
        string first = reloader.Current.Thumbprint;

        File.WriteAllText(Cert, "-----BEGIN CERTIFICATE-----\ntruncated"); // half-written
        Assert.False(reloader.TryReload());
        Assert.Equal(first, reloader.Current.Thumbprint);

        Write("CN=second", out ECDsa otherKey);
        using (otherKey)
        {
            File.WriteAllText(Key, ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem()); // key of another pair
            Assert.False(reloader.TryReload());
            Assert.Equal(first, reloader.Current.Thumbprint);

            File.WriteAllText(Key, otherKey.ExportPkcs8PrivateKeyPem());
            Assert.True(reloader.TryReload());
            Assert.Equal("CN=second", reloader.Current.Subject);
            Assert.True(reloader.Current.HasPrivateKey);
        }
    }

    private void Write(string subject, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Cert, certificate.ExportCertificatePem());
        File.WriteAllText(Key, key.ExportPkcs8PrivateKeyPem());
    }
}
