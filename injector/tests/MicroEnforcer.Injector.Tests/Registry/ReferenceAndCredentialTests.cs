using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Registry;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>The pure parts of resolution: image names, pull secret formats, challenges, platforms.</summary>
public sealed class ReferenceAndCredentialTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", "latest", null)]
    [InlineData("nginx:1.27", "docker.io", "library/nginx", "1.27", null)]
    [InlineData("bitnami/redis:7", "docker.io", "bitnami/redis", "7", null)]
    [InlineData("index.docker.io/library/nginx", "docker.io", "library/nginx", "latest", null)]
    [InlineData("localhost/app", "localhost", "app", "latest", null)]
    [InlineData("127.0.0.1:5000/team/app:v2", "127.0.0.1:5000", "team/app", "v2", null)]
    [InlineData("ghcr.io/org/img@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ghcr.io", "org/img", null, "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("registry:5000/app:1@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "registry:5000", "app", "1", "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    public void ImageNamesAreNormalisedLikeDocker(string image, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(image);
        Assert.Equal(new ImageReference(registry, repository, tag, digest), reference);
        Assert.Equal(digest ?? tag, reference.Reference);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space:1")]
    [InlineData("img@md5:abc")]
    public void MalformedImageNamesAreResolutionErrors(string image) =>
        Assert.Throws<ImageResolutionException>(() => ImageReference.Parse(image));

    [Fact]
    public void DockerHubApiHostIsRegistry1() => Assert.Equal("registry-1.docker.io", ImageReference.Parse("nginx").ApiHost);

    [Fact]
    public void PullSecretFormatsAreRead()
    {
        // .dockerconfigjson with `auth`, with username/password, Docker Hub's legacy key; .dockercfg without `auths`.
        var config = DockerConfig.Parse("""
            {"auths": {
              "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
              "registry.example:5000": {"username": "u", "password": "p:with:colons"},
              "ghcr.io": {"auth": "Z2g6dG9rZW4="}}}
            """);
        Assert.Equal(new RegistryCredential("hub", "secret"), config.Find("docker.io"));
        Assert.Equal(new RegistryCredential("u", "p:with:colons"), config.Find("registry.example:5000"));
        Assert.Equal(new RegistryCredential("gh", "token"), config.Find("GHCR.io"));
        Assert.Null(config.Find("quay.io"));
        var legacy = DockerConfig.Parse("""{"quay.io": {"auth": "cTpw"}}""");
        Assert.Equal(new RegistryCredential("q", "p"), legacy.Find("quay.io"));
        // The first pull secret naming a registry wins, as the kubelet tries them in order.
        Assert.Equal("hub", DockerConfig.Merge([config, DockerConfig.Parse("""{"auths":{"docker.io":{"auth":"b3RoZXI6eA=="}}}""")]).Find("docker.io")!.Username);
    }

    [Fact]
    public void BearerChallengeParametersMayBeQuotedAndContainCommas()
    {
        var parameters = RegistryClient.ParseChallenge("""realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error=insufficient_scope""");
        Assert.Equal("https://auth.example/token", parameters["realm"]);
        Assert.Equal("registry.example", parameters["service"]);
        Assert.Equal("repository:a/b:pull,push", parameters["scope"]);
        Assert.Equal("insufficient_scope", parameters["error"]);
    }

    [Theory]
    [InlineData("""{}""", "linux/amd64")]
    [InlineData("""{"kubernetes.io/arch": "arm64"}""", "linux/arm64")]
    [InlineData("""{"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "disk": "ssd"}""", "linux/amd64")]
    public async Task PlatformComesFromTheNodeSelector(string nodeSelector, string expected)
    {
        var images = new TableImageSource(JsonNode.Parse("""{"app:1": {"Entrypoint": ["/app"]}}""")!.AsObject());
        var resolver = new ImageConfigResolver(images, new TableKubernetesApi(null), new InjectorOptions());
        var pod = JsonNode.Parse($$$"""{"spec": {"nodeSelector": {{{nodeSelector}}}, "containers": [{"name": "a", "image": "app:1"}]}}""")!.AsObject();

        await resolver.ResolveAsync(pod, "ns", [0], default);

        Assert.Equal(expected, Assert.Single(images.Calls).Platform.ToString());
    }
}
