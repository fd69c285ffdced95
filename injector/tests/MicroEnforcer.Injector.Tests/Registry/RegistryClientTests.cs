using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>ENTRYPOINT and CMD read from real registries on loopback (see <see cref="RegistryFixture"/>).</summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryClientTests(RegistryFixture registries)
{
    private static readonly Platform s_amd64 = new("linux", "amd64");
    private static readonly Platform s_arm64 = new("linux", "arm64");

    private (RegistryClient Client, HttpClient Http) Client(ManualTime? time = null)
    {
        var options = new InjectorOptions { InsecureRegistries = [registries.Plain.Host, registries.Basic.Host, registries.Bearer.Host] };
        var http = new HttpClient();
        return (new RegistryClient(http, options, time), http);
    }

    private static DockerConfig Credentials(string host, string user = RegistryFixture.User, string password = RegistryFixture.Password) =>
        DockerConfig.Parse(DockerConfig.ToJson(new Dictionary<string, RegistryCredential> { [host] = new(user, password) }));

    [Fact]
    public async Task OciImageGivesItsEntrypointAndCmd()
    {
        var (client, http) = Client();
        using var _ = http;
        ImageConfig config = await client.ResolveAsync($"{registries.Plain.Host}/team/app:app", s_amd64, DockerConfig.Empty, default);
        Assert.Equal(RegistryFixture.AppEntrypoint, config.Entrypoint);
        Assert.Equal(RegistryFixture.AppCmd, config.Cmd);
    }

    [Fact]
    public async Task DockerSchema2ManifestIsReadToo()
    {
        var (client, http) = Client();
        using var _ = http;
        ImageConfig config = await client.ResolveAsync($"{registries.Plain.Host}/team/docker-format:app", s_amd64, DockerConfig.Empty, default);
        Assert.Equal(RegistryFixture.AppEntrypoint, config.Entrypoint);
        Assert.Equal(RegistryFixture.AppCmd, config.Cmd);
    }

    [Fact]
    public async Task ImageWithCmdOnlyHasNoEntrypoint()
    {
        var (client, http) = Client();
        using var _ = http;
        ImageConfig config = await client.ResolveAsync($"{registries.Plain.Host}/tools/shell:cmd-only", s_amd64, DockerConfig.Empty, default);
        Assert.Null(config.Entrypoint);
        Assert.Equal(["sh"], config.Cmd);
    }

    [Fact]
    public async Task ImageIndexIsNarrowedToThePlatform()
    {
        var (client, http) = Client();
        using var _ = http;
        string image = $"{registries.Plain.Host}/team/multi:multi";
        Assert.Equal(["built-for-amd64"], (await client.ResolveAsync(image, s_amd64, DockerConfig.Empty, default)).Cmd);
        Assert.Equal(["built-for-arm64"], (await client.ResolveAsync(image, s_arm64, DockerConfig.Empty, default)).Cmd);
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => client.ResolveAsync(image, new Platform("linux", "s390x"), DockerConfig.Empty, default));
        Assert.Contains("no manifest for linux/s390x (it has: linux/amd64, linux/arm64)", e.Message);
    }

    [Fact]
    public async Task DigestReferenceIsFetchedAndVerifiedByDigest()
    {
        var (client, http) = Client();
        using var _ = http;
        ImageConfig config = await client.ResolveAsync($"{registries.Plain.Host}/team/app@{registries.AppManifestDigest}", s_amd64, DockerConfig.Empty, default);
        Assert.Equal(RegistryFixture.AppCmd, config.Cmd);
        var wrong = "sha256:" + new string('0', 64);
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => client.ResolveAsync($"{registries.Plain.Host}/team/app@{wrong}", s_amd64, DockerConfig.Empty, default));
        Assert.Contains("404", e.Message);
    }

    [Fact]
    public async Task WarmCacheMakesNoRequestAndTagsAreRecheckedAfterTheirTtl()
    {
        var time = new ManualTime();
        var (client, http) = Client(time);
        using var _ = http;
        string image = $"{registries.Plain.Host}/team/multi:multi";
        await client.ResolveAsync(image, s_amd64, DockerConfig.Empty, default);
        long cold = client.RequestCount;
        Assert.Equal(3, cold); // index, platform manifest, config blob

        for (int i = 0; i < 5; i++)
            Assert.Equal(["built-for-amd64"], (await client.ResolveAsync(image, s_amd64, DockerConfig.Empty, default)).Cmd);
        Assert.Equal(cold, client.RequestCount);

        // Past the tag TTL the tag is asked again (one request: its digest is unchanged, so the
        // config cached under that digest is reused).
        time.Advance(TimeSpan.FromSeconds(new InjectorOptions().TagCacheSeconds + 1));
        await client.ResolveAsync(image, s_amd64, DockerConfig.Empty, default);
        Assert.Equal(cold + 1, client.RequestCount);
    }

    [Fact]
    public async Task ConcurrentColdLookupsOfOneImageShareOneFetch()
    {
        var (client, http) = Client();
        using var _ = http;
        string image = $"{registries.Plain.Host}/team/multi:multi";
        var lookups = Enumerable.Range(0, 20).Select(_ => client.ResolveAsync(image, s_amd64, DockerConfig.Empty, default)).ToList();
        ImageConfig[] configs = await Task.WhenAll(lookups);

        Assert.All(configs, c => Assert.Equal(["built-for-amd64"], c.Cmd));
        Assert.Equal(3, client.RequestCount); // index, manifest, config: once, not 20 times
    }

    [Fact]
    public async Task BasicAuthRegistryNeedsThePullSecretsCredentials()
    {
        var (client, http) = Client();
        using var _ = http;
        string image = $"{registries.Basic.Host}/private/app:app";
        ImageConfig config = await client.ResolveAsync(image, s_amd64, Credentials(registries.Basic.Host), default);
        Assert.Equal(RegistryFixture.AppEntrypoint, config.Entrypoint);

        var (fresh, http2) = Client();
        using var __ = http2;
        var anonymous = await Assert.ThrowsAsync<ImageResolutionException>(() => fresh.ResolveAsync(image, s_amd64, DockerConfig.Empty, default));
        Assert.Contains("authentication required and no pull secret has credentials for " + registries.Basic.Host, anonymous.Message);
        var wrong = await Assert.ThrowsAsync<ImageResolutionException>(() => fresh.ResolveAsync(image, s_amd64, Credentials(registries.Basic.Host, password: "wrong"), default));
        Assert.Contains("the credentials for " + registries.Basic.Host + " were refused", wrong.Message);
    }

    [Fact]
    public async Task BearerTokenRegistryIsReadWithATokenFromItsRealm()
    {
        var (client, http) = Client();
        using var _ = http;
        string image = $"{registries.Bearer.Host}/private/multi:multi";
        int issued = registries.Tokens.Issued;
        ImageConfig config = await client.ResolveAsync(image, s_arm64, Credentials(registries.Bearer.Host), default);
        Assert.Equal(["built-for-arm64"], config.Cmd);
        // One token for the repository's pull scope, reused for the index, the manifest and the blob.
        Assert.Equal(issued + 1, registries.Tokens.Issued);

        var (fresh, http2) = Client();
        using var __ = http2;
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => fresh.ResolveAsync(image, s_arm64, DockerConfig.Empty, default));
        Assert.Contains("token server refused (401); no pull secret has credentials for " + registries.Bearer.Host, e.Message);
    }

    [Fact]
    public async Task BearerTokenIsNotSharedWithAPullSecretOfTheSameUserAndAnotherPassword()
    {
        // Namespace A's secret obtains a token; namespace B's secret has the same username (ECR's
        // is always AWS) and a wrong password: it must not be given A's token.
        var (client, http) = Client();
        using var _ = http;
        string image = $"{registries.Bearer.Host}/private/multi:multi";
        Assert.Equal(["built-for-amd64"], (await client.ResolveAsync(image, s_amd64, Credentials(registries.Bearer.Host), default)).Cmd);
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => client.ResolveAsync(image, s_amd64, Credentials(registries.Bearer.Host, password: "wrong"), default));
        Assert.Contains("token server refused (401)", e.Message);
    }

    [Fact]
    public async Task UnreachableRegistryAndMissingRepositoryAreReportedWithTheirReason()
    {
        var (client, http) = Client();
        using var _ = http;
        string closed = $"127.0.0.1:{Tools.FreeLoopbackPort()}";
        var options = new InjectorOptions { InsecureRegistries = [closed] };
        var unreachable = await Assert.ThrowsAsync<ImageResolutionException>(() => new RegistryClient(http, options).ResolveAsync($"{closed}/x/y:1", s_amd64, DockerConfig.Empty, default));
        Assert.Contains("unreachable", unreachable.Message);
        var missing = await Assert.ThrowsAsync<ImageResolutionException>(() => client.ResolveAsync($"{registries.Plain.Host}/team/nothing:1", s_amd64, DockerConfig.Empty, default));
        Assert.Contains("HTTP 404", missing.Message);
    }

    [Fact]
    public async Task AdmissionOfAPodWithAPrivateImageUsesItsImagePullSecret()
    {
        var options = new InjectorOptions { EnforcerImage = "localhost/microenforcer:latest", InsecureRegistries = [registries.Basic.Host] };
        using var http = new HttpClient();
        string secret = DockerConfig.ToJson(new Dictionary<string, RegistryCredential> { [registries.Basic.Host] = new(RegistryFixture.User, RegistryFixture.Password) });
        var kubernetes = new TableKubernetesApi(null, new Dictionary<string, string> { ["pull"] = secret });
        var handler = new AdmissionHandler(new ImageConfigResolver(new RegistryClient(http, options), kubernetes, options), kubernetes, options, NullLogger<AdmissionHandler>.Instance);
        var pod = JsonNode.Parse($$$"""
            {"metadata": {"name": "p", "annotations": {"microenforcer.io/inject": "enabled"}},
             "spec": {"imagePullSecrets": [{"name": "missing"}, {"name": "pull"}],
                      "containers": [{"name": "app", "image": "{{{registries.Basic.Host}}}/private/app:app"}]}}
            """)!.AsObject();
        JsonObject review = LoadTest.Review(pod, "uid-1");

        var response = (await handler.HandleAsync(review, false, default))["response"]!.AsObject();
        JsonObject injected = JsonPatchApplier.Apply(pod, GoldenAdmissionTests.Patch(response));
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", .. RegistryFixture.AppEntrypoint], injected["spec"]!["containers"]![0]!["command"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(RegistryFixture.AppCmd, injected["spec"]!["containers"]![0]!["args"]!.AsArray().Select(a => a!.GetValue<string>()));

        // Without the secret: admitted unmodified, with a warning that says why.
        pod["spec"]!.AsObject().Remove("imagePullSecrets");
        var unresolved = (await handler.HandleAsync(LoadTest.Review(pod, "uid-2"), false, default))["response"]!.AsObject();
        Assert.True(unresolved["allowed"]!.GetValue<bool>());
        Assert.Null(unresolved["patch"]);
        Assert.Contains("authentication required", unresolved["warnings"]![0]!.GetValue<string>());
    }
}

internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public void Advance(TimeSpan by) => _now += by;

    public override DateTimeOffset GetUtcNow() => _now;
}
