using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MicroEnforcer.Injector.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Tests.Kubernetes;

/// <summary>
/// A stand-in for the API server: Kestrel over TLS with its own CA, as a cluster's is, serving
/// `GET /api/v1/namespaces/{ns}/secrets|pods/{name}` from tables the test fills (and changes:
/// a rotated secret), counting every read. The service account's token and CA are written to
/// files, as they are mounted in a pod. No real API server runs here.
/// </summary>
internal sealed class StandInApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    /// <summary>Pull secrets' docker config JSON by "namespace/name".</summary>
    public ConcurrentDictionary<string, string> Secrets { get; } = new();

    /// <summary>Pod names by "namespace/name".</summary>
    public ConcurrentDictionary<string, bool> Pods { get; } = new();

    /// <summary>The Authorization header of every request, in order.</summary>
    public ConcurrentQueue<string> TokensSeen { get; } = new();

    public string Directory { get; }

    public Uri BaseUri { get; }

    public string TokenPath => Path.Combine(Directory, "token");

    public string CaPath => Path.Combine(Directory, "ca.crt");

    private long _secretReads;

    /// <summary>GETs of secrets answered (found or not).</summary>
    public long SecretReads => Interlocked.Read(ref _secretReads);

    private StandInApiServer(string directory, WebApplication app)
    {
        Directory = directory;
        _app = app;
        BaseUri = new Uri(app.Urls.Single());
    }

    public static async Task<StandInApiServer> StartAsync()
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("microenforcer-sa-").FullName;
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
        await File.WriteAllTextAsync(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "token"), "token-1\n");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(server)));
        var app = builder.Build();
        StandInApiServer? self = null;
        app.MapGet("/api/v1/namespaces/{ns}/{kind}/{name}", (HttpContext http, string ns, string kind, string name) => self!.Answer(http, ns, kind, name));
        await app.StartAsync();
        self = new StandInApiServer(dir, app);
        return self;
    }

    /// <summary>A client as the injector makes one in a pod, trusting this server's CA.</summary>
    public InClusterKubernetesApi Client(string? caPath = null) => new(BaseUri, TokenPath, caPath ?? CaPath);

    private IResult Answer(HttpContext http, string ns, string kind, string name)
    {
        string auth = http.Request.Headers.Authorization.ToString();
        TokensSeen.Enqueue(auth);
        if (!auth.StartsWith("Bearer token-", StringComparison.Ordinal))
            return Results.StatusCode(401);
        if (kind == "secrets")
        {
            Interlocked.Increment(ref _secretReads);
            return Secrets.TryGetValue($"{ns}/{name}", out string? config)
                ? Results.Json(new { kind = "Secret", data = new Dictionary<string, string> { [".dockerconfigjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(config)) } })
                : Results.NotFound();
        }
        return kind == "pods" && Pods.ContainsKey($"{ns}/{name}")
            ? Results.Json(new { kind = "Pod", metadata = new { name, @namespace = ns } })
            : Results.NotFound();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
