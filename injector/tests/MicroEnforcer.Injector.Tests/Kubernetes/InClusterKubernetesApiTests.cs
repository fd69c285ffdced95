using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MicroEnforcer.Injector.Kubernetes;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Kubernetes;

/// <summary>
/// The in-cluster API client against a stand-in API server (Kestrel over TLS with its own CA,
/// as a cluster's is): the service account token is sent and re-read, the CA file is the only
/// trust, a missing object is null, pull secrets are decoded. No real API server runs here.
/// </summary>
public sealed class InClusterKubernetesApiTests : IAsyncLifetime
{
    private StandInApiServer _api = null!;

    public async Task InitializeAsync()
    {
        _api = await StandInApiServer.StartAsync();
        _api.Secrets["shop/pull"] = """{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}""";
        _api.Pods["shop/web"] = true;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task ReadsPodsAndPullSecretsWithTheServiceAccountToken()
    {
        using var api = _api.Client();

        string? secret = await api.GetPullSecretAsync("shop", "pull", default);
        var pod = await api.GetPodAsync("shop", "web", default);
        Assert.Null(await api.GetPodAsync("shop", "gone", default));
        Assert.Null(await api.GetPullSecretAsync("shop", "gone", default));
        await File.WriteAllTextAsync(_api.TokenPath, "token-2\n"); // a rotated projected token
        await api.GetPodAsync("shop", "web", default);

        Assert.Equal("user", Injector.Registry.DockerConfig.Parse(secret!).Find("registry.example")!.Username);
        Assert.Equal("web", pod!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(["Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"], _api.TokensSeen);
    }

    [Fact]
    public async Task AServerTheClusterCaDidNotSignIsRefused()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=other CA", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string otherCa = Path.Combine(_api.Directory, "other-ca.crt");
        await File.WriteAllTextAsync(otherCa, other.ExportCertificatePem());
        using var api = _api.Client(otherCa);

        await Assert.ThrowsAsync<HttpRequestException>(() => api.GetPodAsync("shop", "web", default));
        Assert.Empty(_api.TokensSeen); // the token never left
    }
}
