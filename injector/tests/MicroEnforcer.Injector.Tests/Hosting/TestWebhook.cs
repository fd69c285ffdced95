using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MicroEnforcer.Injector.Hosting;
using MicroEnforcer.Injector.Kubernetes;
using Microsoft.AspNetCore.Builder;

namespace MicroEnforcer.Injector.Tests.Hosting;

/// <summary>
/// The real webhook (WebhookServer.Build, Kestrel, HTTPS) on a loopback port, serving a
/// certificate generated here and written as PEM files the way a kubernetes.io/tls Secret is
/// mounted; clients trust exactly the current certificate and check the name (IP SAN 127.0.0.1).
/// </summary>
internal sealed class TestWebhook : IAsyncDisposable
{
    private readonly string _dir;

    public WebApplication App { get; }

    public Uri BaseUri { get; }

    public X509Certificate2 Certificate { get; private set; }

    public string CertPath => Path.Combine(_dir, "tls.crt");

    public string KeyPath => Path.Combine(_dir, "tls.key");

    private TestWebhook(string dir, WebApplication app, X509Certificate2 certificate)
    {
        _dir = dir;
        App = app;
        Certificate = certificate;
        BaseUri = new Uri(app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
    }

    public static Task<TestWebhook> StartAsync(IKubernetesApi kubernetes, Action<InjectorOptions>? configure = null, params string[] args) =>
        StartAsync(kubernetes, new IPEndPoint(IPAddress.Loopback, 0), configure, args);

    /// <summary>LISTEN null: where the settings (Port, ListenAddress) say, as in production.</summary>
    public static async Task<TestWebhook> StartAsync(IKubernetesApi kubernetes, IPEndPoint? listen, Action<InjectorOptions>? configure, params string[] args)
    {
        string dir = Directory.CreateTempSubdirectory("microenforcer-injector-tls-").FullName;
        X509Certificate2 certificate = WriteCertificate(dir, "microenforcer-injector.microenforcer.svc");
        var app = WebhookServer.Build(args, o =>
        {
            o.TlsCertificatePath = Path.Combine(dir, "tls.crt");
            o.TlsKeyPath = Path.Combine(dir, "tls.key");
            o.TlsReloadSeconds = 1;
            o.EnforcerImage = "registry.example/microenforcer:1.0";
            configure?.Invoke(o);
        }, kubernetes, listen);
        await app.StartAsync();
        return new TestWebhook(dir, app, certificate);
    }

    /// <summary>A new key and certificate in the mounted files, as cert-manager's renewal does.</summary>
    public X509Certificate2 RotateCertificate()
    {
        Certificate = WriteCertificate(_dir, "microenforcer-injector.microenforcer.svc (renewed)");
        return Certificate;
    }

    /// <summary>An HttpClient on a new connection that trusts only the expected certificate; SEEN gets what the server presented.</summary>
    public static HttpClient Client(X509Certificate2 trusted, Action<X509Certificate2>? seen = null, bool keepAlive = false)
    {
        // Without keepAlive every request opens a new TLS connection (and sees the current certificate).
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = keepAlive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null)
                return false;
            var presented = new X509Certificate2(certificate);
            seen?.Invoke(presented);
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(trusted);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(presented);
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private static X509Certificate2 WriteCertificate(string dir, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("microenforcer-injector.microenforcer.svc");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Key first, then the certificate, each written whole: the reloader must never pair a new
        // certificate with the old key (it would keep the old pair and retry on the next poll).
        File.WriteAllText(Path.Combine(dir, "tls.key.tmp"), key.ExportPkcs8PrivateKeyPem(), Encoding.ASCII);
        File.WriteAllText(Path.Combine(dir, "tls.crt.tmp"), certificate.ExportCertificatePem(), Encoding.ASCII);
        File.Move(Path.Combine(dir, "tls.key.tmp"), Path.Combine(dir, "tls.key"), overwrite: true);
        File.Move(Path.Combine(dir, "tls.crt.tmp"), Path.Combine(dir, "tls.crt"), overwrite: true);
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
