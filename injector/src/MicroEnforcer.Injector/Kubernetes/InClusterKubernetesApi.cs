using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Kubernetes;

/// <summary>
/// The API server as a pod sees it: KUBERNETES_SERVICE_HOST/PORT, the service account's token
/// (re-read on every call: projected tokens rotate) and its CA. Only GETs of pods and secrets,
/// which is what the ClusterRole in injector/deploy grants.
/// </summary>
public sealed class InClusterKubernetesApi : IKubernetesApi, IDisposable
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private readonly string _tokenPath;

    public InClusterKubernetesApi(Uri baseUri, string tokenPath, string caPath)
    {
        _baseUri = baseUri;
        _tokenPath = tokenPath;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (File.Exists(caPath))
        {
            var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            };
        }
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    /// <summary>The API server of the cluster this pod runs in, or null outside a cluster.</summary>
    public static InClusterKubernetesApi? FromEnvironment()
    {
        string? host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        string? port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
            return null;
        var uri = new UriBuilder("https", host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host, int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).Uri;
        return new InClusterKubernetesApi(uri, Path.Combine(ServiceAccountDir, "token"), Path.Combine(ServiceAccountDir, "ca.crt"));
    }

    public async Task<string?> GetPullSecretAsync(string ns, string name, CancellationToken cancel)
    {
        JsonObject? secret = await GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/secrets/{Uri.EscapeDataString(name)}", cancel).ConfigureAwait(false);
        JsonNode? data = secret?["data"]?[".dockerconfigjson"] ?? secret?["data"]?[".dockercfg"];
        return data is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(data.GetValue<string>()));
    }

    public Task<JsonObject?> GetPodAsync(string ns, string name, CancellationToken cancel) =>
        GetAsync($"api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods/{Uri.EscapeDataString(name)}", cancel);

    private async Task<JsonObject?> GetAsync(string path, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, path));
        string token = (await File.ReadAllTextAsync(_tokenPath, cancel).ConfigureAwait(false)).Trim();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, cancel).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET /{path}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false)) as JsonObject;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Outside a cluster (the Fargate command, a developer's machine): every read fails with the reason.</summary>
public sealed class NoKubernetesApi : IKubernetesApi
{
    private const string Reason = "not running in a Kubernetes cluster (KUBERNETES_SERVICE_HOST is not set)";

    public Task<string?> GetPullSecretAsync(string ns, string name, CancellationToken cancel) => throw new InvalidOperationException(Reason);

    public Task<JsonObject?> GetPodAsync(string ns, string name, CancellationToken cancel) => throw new InvalidOperationException(Reason);
}
