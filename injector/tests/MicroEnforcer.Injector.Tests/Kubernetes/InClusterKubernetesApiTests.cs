using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MicroEnforcer.Injector.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Kubernetes;

/// <summary>
/// The in-cluster API client against a stand-in API server (Kestrel over TLS with its own CA,
/// as a cluster's is): the service account token is sent and re-read, the CA file is the only
/// trust, a missing object is null, pull secrets are decoded. No real API server runs here.
/// </summary>
public sealed class InClusterKubernetesApiTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-sa-").FullName;
    private WebApplication _api = null!;
    private Uri _base = null!;
    private readonly List<string> _tokensSeen = [];

    public async Task InitializeAsync()
    {
        var now = DateTimeOffset.UtcNow; // one instant: the leaf must not outlive its CA
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test cluster CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=kubernetes", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        using var serverPublic = serverRequest.Create(ca, now.AddMinutes(-1), now.AddHours(12), [1, 2, 3, 4]);
        var server = X509CertificateLoader.LoadPkcs12(serverPublic.CopyWithPrivateKey(serverKey).Export(X509ContentType.Pkcs12), null);
        await File.WriteAllTextAsync(Path.Combine(_dir, "ca.crt"), ca.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_dir, "token"), "token-1\n");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(server)));
        _api = builder.Build();
        _api.MapGet("/api/v1/namespaces/{ns}/{kind}/{name}", (HttpContext http, string ns, string kind, string name) =>
        {
            string auth = http.Request.Headers.Authorization.ToString();
            lock (_tokensSeen)
                _tokensSeen.Add(auth);
            if (!auth.StartsWith("Bearer token-", StringComparison.Ordinal))
                return Results.StatusCode(401);
            string config = """{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}""";
            return (kind, name) switch
            {
                ("secrets", "pull") => Results.Json(new { kind = "Secret", data = new Dictionary<string, string> { [".dockerconfigjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(config)) } }),
                ("pods", "web") => Results.Json(new { kind = "Pod", metadata = new { name, @namespace = ns } }),
                _ => Results.NotFound(),
            };
        });
        await _api.StartAsync();
        _base = new Uri(_api.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ReadsPodsAndPullSecretsWithTheServiceAccountToken()
    {
        using var api = new InClusterKubernetesApi(_base, Path.Combine(_dir, "token"), Path.Combine(_dir, "ca.crt"));

        string? secret = await api.GetPullSecretAsync("shop", "pull", default);
        var pod = await api.GetPodAsync("shop", "web", default);
        Assert.Null(await api.GetPodAsync("shop", "gone", default));
        Assert.Null(await api.GetPullSecretAsync("shop", "gone", default));
        await File.WriteAllTextAsync(Path.Combine(_dir, "token"), "token-2\n"); // a rotated projected token
        await api.GetPodAsync("shop", "web", default);

        Assert.Equal("user", Injector.Registry.DockerConfig.Parse(secret!).Find("registry.example")!.Username);
        Assert.Equal("web", pod!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(["Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"], _tokensSeen);
    }

    [Fact]
    public async Task AServerTheClusterCaDidNotSignIsRefused()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=other CA", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string otherCa = Path.Combine(_dir, "other-ca.crt");
        await File.WriteAllTextAsync(otherCa, other.ExportCertificatePem());
        using var api = new InClusterKubernetesApi(_base, Path.Combine(_dir, "token"), otherCa);

        await Assert.ThrowsAsync<HttpRequestException>(() => api.GetPodAsync("shop", "web", default));
        Assert.Empty(_tokensSeen); // the token never left
    }
}
