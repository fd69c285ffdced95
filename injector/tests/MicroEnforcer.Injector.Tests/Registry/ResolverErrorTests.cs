using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Kubernetes;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>
/// Bad data from a pull secret, the API server or a registry is a resolution failure (admitted with
/// a warning, or denied if the policy says so), never a 400 about the request or a 500.
/// </summary>
public sealed class ResolverErrorTests
{
    private sealed class FailingKubernetesApi(Func<string?> secret) : IKubernetesApi
    {
        public Task<string?> GetPullSecretAsync(string ns, string name, CancellationToken cancel) => Task.FromResult(secret());

        public Task<JsonObject?> GetPodAsync(string ns, string name, CancellationToken cancel) => Task.FromResult<JsonObject?>(null);
    }

    private sealed class FailingImageSource(Func<Exception?> failure) : IImageConfigSource
    {
        public Task<ImageConfig> ResolveAsync(string image, Platform platform, DockerConfig credentials, CancellationToken cancel) =>
            failure() is { } e ? throw e : Task.FromResult(new ImageConfig(["/app"], null, "sha256:test"));
    }

    public static TheoryData<string> Failures() =>
    [
        "secret-not-json", "secret-bad-base64", "secret-wrong-type", "secret-read-timeout", "secret-bad-base64-from-api",
        "registry-wrong-json-type", "registry-bad-json",
    ];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task IsAResolutionFailure(string failure)
    {
        Func<string?> secret = failure switch
        {
            "secret-not-json" => () => "{not json",
            "secret-bad-base64" => () => """{"auths": {"registry.example": {"auth": "%%% not base64"}}}""",
            "secret-wrong-type" => () => """{"auths": {"registry.example": {"auth": 42}}}""",
            "secret-read-timeout" => () => throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 5 seconds elapsing."),
            "secret-bad-base64-from-api" => () => throw new FormatException("The input is not a valid Base-64 string"),
            _ => () => null,
        };
        Func<Exception?> registry = failure switch
        {
            "registry-wrong-json-type" => () => new InvalidOperationException("The node must be of type 'JsonValue'."),
            "registry-bad-json" => () => new System.Text.Json.JsonException("'<' is an invalid start of a value."),
            _ => () => null,
        };
        var options = new InjectorOptions { EnforcerImage = "registry.example/microenforcer:1.0" };
        var kubernetes = new FailingKubernetesApi(secret);
        var handler = new AdmissionHandler(new ImageConfigResolver(new FailingImageSource(registry), kubernetes, options), kubernetes, options, NullLogger<AdmissionHandler>.Instance);
        var pod = JsonNode.Parse("""
            {"metadata": {"name": "p", "annotations": {"microenforcer.io/inject": "enabled"}},
             "spec": {"imagePullSecrets": [{"name": "pull"}],
                      "containers": [{"name": "app", "image": "registry.example/team/app:1"}]}}
            """)!.AsObject();

        var response = (await handler.HandleAsync(LoadTest.Review(pod, "uid-1"), false, default))["response"]!.AsObject();
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["patch"]);
        Assert.Contains("cannot inject the enforcer", response["warnings"]![0]!.GetValue<string>());

        pod["metadata"]!["annotations"]![Annotations.ResolveFailure] = "deny";
        var denied = (await handler.HandleAsync(LoadTest.Review(pod, "uid-2"), false, default))["response"]!.AsObject();
        Assert.False(denied["allowed"]!.GetValue<bool>());
    }
}

/// <summary>The bearer realm comes from the registry: credentials go only to an https realm (or, for a plain-http registry, its own host).</summary>
public sealed class BearerRealmTests
{
    private sealed class ChallengeHandler(string realm) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
            response.Headers.WwwAuthenticate.Add(new("Bearer", $"realm=\"{realm}\",service=\"registry\""));
            return Task.FromResult(response);
        }
    }

    [Theory]
    [InlineData("registry.example", "http://registry.example/token", "must be https")]
    [InlineData("registry.example", "ftp://registry.example/token", "must be https")]
    [InlineData("registry.example", "file:///etc/passwd", "must be https")]
    [InlineData("127.0.0.1:5000", "http://10.0.0.1/token", "another host")]
    [InlineData("127.0.0.1:5000", "ftp://127.0.0.1/token", "must be https")]
    public async Task AnUnsafeRealmGetsNoRequest(string registry, string realm, string reason)
    {
        var handler = new ChallengeHandler(realm);
        using var http = new HttpClient(handler);
        var client = new RegistryClient(http, new InjectorOptions { InsecureRegistries = ["127.0.0.1:5000"] });
        var credentials = DockerConfig.Parse(DockerConfig.ToJson(new Dictionary<string, RegistryCredential> { [registry] = new("AWS", "secret") }));
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => client.ResolveAsync($"{registry}/team/app:1", new Platform("linux", "amd64"), credentials, default));
        Assert.Contains(reason, e.Message);
        Assert.Single(handler.Requests); // the registry's 401, and nothing to the realm
    }
}
