using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Kubernetes;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Kubernetes;

/// <summary>
/// Pods' pull secrets are read from the (stand-in) API server once per namespace/name and TTL,
/// not once per review: reads are counted where they arrive, at the server. The clock is a
/// FakeTimeProvider advanced by the test: no sleeps, no timing.
/// </summary>
public sealed class PullSecretCacheTests : IAsyncLifetime
{
    private const string Image = "registry.example/team/app:1";
    private static readonly JsonObject s_images = new() { [Image] = new JsonObject { ["Entrypoint"] = new JsonArray("/app") } };

    private StandInApiServer _server = null!;
    private InClusterKubernetesApi _api = null!;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-07T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TableImageSource _registry = new(s_images);

    public async Task InitializeAsync()
    {
        _server = await StandInApiServer.StartAsync();
        _api = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
    }

    private ImageConfigResolver Resolver(int ttl = 30, int missingTtl = 5) =>
        new(_registry, _api, new InjectorOptions { PullSecretCacheSeconds = ttl, PullSecretMissingCacheSeconds = missingTtl }, _clock);

    private static JsonObject Pod(string ns = "shop") => JsonNode.Parse($$$"""
        {"metadata": {"name": "web", "namespace": "{{{ns}}}"},
         "spec": {"imagePullSecrets": [{"name": "regcred"}], "containers": [{"name": "app", "image": "{{{Image}}}"}]}}
        """)!.AsObject();

    private static string Config(string user) =>
        $$$$"""{"auths": {"registry.example": {"username": "{{{{user}}}}", "password": "p"}}}""";

    private async Task<string?> UserSeenAsync(ImageConfigResolver resolver, string ns = "shop")
    {
        await resolver.ResolveAsync(Pod(ns), ns, [0], CancellationToken.None);
        lock (_registry.Calls)
            return _registry.Credentials[^1].Find("registry.example")?.Username;
    }

    [Fact]
    public async Task ManyReviewsWithinTheTtlMakeOneRead()
    {
        _server.Secrets["shop/regcred"] = Config("alice");
        var resolver = Resolver();

        // 700 reviews, 50 at a time (a Deployment scaled up): the concurrent first ones share the read.
        for (int batch = 0; batch < 14; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => resolver.ResolveAsync(Pod(), "shop", [0], CancellationToken.None)));
            _clock.Advance(TimeSpan.FromSeconds(2));
        }

        Assert.Equal(700, _registry.Credentials.Count);
        Assert.All(_registry.Credentials, c => Assert.Equal("alice", c.Find("registry.example")?.Username));
        Assert.Equal(1, _server.SecretReads); // 0 s to 26 s: one TTL window
        Assert.Equal(1, resolver.PullSecrets.Reads);

        _clock.Advance(TimeSpan.FromSeconds(2)); // 30 s after the read
        await resolver.ResolveAsync(Pod(), "shop", [0], CancellationToken.None);
        Assert.Equal(2, _server.SecretReads);
    }

    [Fact]
    public async Task ASecretRotatedInTheApiServerIsSeenAfterTheTtl()
    {
        _server.Secrets["shop/regcred"] = Config("alice");
        var resolver = Resolver();
        Assert.Equal("alice", await UserSeenAsync(resolver));

        _server.Secrets["shop/regcred"] = Config("bob");
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal("alice", await UserSeenAsync(resolver));
        Assert.Equal(1, _server.SecretReads);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("bob", await UserSeenAsync(resolver));
        Assert.Equal(2, _server.SecretReads);
    }

    [Fact]
    public async Task AMissingSecretIsBelievedForTheShorterTime()
    {
        var resolver = Resolver();
        Assert.Null(await UserSeenAsync(resolver)); // anonymous, as the kubelet would try
        _server.Secrets["shop/regcred"] = Config("alice");

        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(await UserSeenAsync(resolver));
        Assert.Equal(1, _server.SecretReads);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("alice", await UserSeenAsync(resolver));
        Assert.Equal(2, _server.SecretReads);
    }

    [Fact]
    public async Task TheCacheIsKeyedByNamespace()
    {
        _server.Secrets["shop/regcred"] = Config("alice");
        _server.Secrets["bank/regcred"] = Config("carol");
        var resolver = Resolver();

        Assert.Equal("alice", await UserSeenAsync(resolver, "shop"));
        Assert.Equal("carol", await UserSeenAsync(resolver, "bank"));
        Assert.Equal("alice", await UserSeenAsync(resolver, "shop"));
        Assert.Equal(2, _server.SecretReads);
    }

    [Fact]
    public async Task AFailedReadIsNotCached()
    {
        _server.Secrets["shop/regcred"] = Config("alice");
        var resolver = Resolver();
        await File.WriteAllTextAsync(_server.TokenPath, "revoked\n"); // the stand-in answers 401

        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => UserSeenAsync(resolver));
        Assert.Contains("reading pull secret shop/regcred", e.Message);

        await File.WriteAllTextAsync(_server.TokenPath, "token-2\n");
        Assert.Equal("alice", await UserSeenAsync(resolver)); // no clock advance: the failure was not kept
        Assert.Equal(2, _server.TokensSeen.Count); // the refused read and the good one
        Assert.Equal(2, resolver.PullSecrets.Reads);
    }

    [Fact]
    public async Task ATtlOfZeroReadsOnEveryReview()
    {
        _server.Secrets["shop/regcred"] = Config("alice");
        var resolver = Resolver(ttl: 0);
        for (int i = 0; i < 3; i++)
            Assert.Equal("alice", await UserSeenAsync(resolver));
        Assert.Equal(3, _server.SecretReads);
    }
}
