using MicroEnforcer.Injector.ImageControls;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace MicroEnforcer.Injector.Tests.ImageControls;

/// <summary>The image controls' rules alone: registry names, host paths, users, the digest allow-list file, the configuration.</summary>
public sealed class ImageControlRuleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-image-rules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("nginx", "docker.io", true)]
    [InlineData("library/nginx:1", "docker.io", true)]
    [InlineData("docker.io/library/nginx", "index.docker.io", true)]
    [InlineData("index.docker.io/bitnami/redis", "https://index.docker.io/v1/", true)]
    [InlineData("registry-1.docker.io/x/y", "DOCKER.IO", true)]
    [InlineData("docker.io:443/library/nginx", "docker.io", false)]
    [InlineData("localhost/app", "localhost", true)]
    [InlineData("localhost:5000/app", "localhost", false)]
    [InlineData("localhost:5000/app", "localhost:5000", true)]
    [InlineData("Registry.Example:5000/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "registry.example:5000", true)]
    [InlineData("MyHost/app", "myhost", true)] // an upper-case first component is a registry, as in Docker
    [InlineData("ghcr.io/acme/app", "ghcr.io/acme", true)]
    [InlineData("ghcr.io/acme/team/app", "ghcr.io/acme/", true)]
    [InlineData("ghcr.io/acme-evil/app", "ghcr.io/acme", false)]
    [InlineData("ghcr.io/acme", "ghcr.io/acme", true)]
    [InlineData("evil.example/docker.io/nginx", "docker.io", false)]
    [InlineData("[::1]:5000/app", "[::1]:5000", true)]
    public void RegistriesAreComparedAsRuntimesNameThem(string image, string entry, bool allowed) =>
        Assert.Equal(allowed, new AllowedRegistries([entry]).Allows(ImageReference.Parse(image)));

    [Theory]
    [InlineData("/var/run/docker.sock", "is blocked")]
    [InlineData("/var/run/docker.sock/", "is blocked")]
    [InlineData("//var/./run/../run/docker.sock", "is blocked")]
    [InlineData("/var/run", "exposes blocked /var/run/docker.sock")]
    [InlineData("/var", "exposes blocked /var/run/docker.sock")]
    [InlineData("/", "is blocked")]
    [InlineData("/../..", "is blocked")]
    [InlineData("/proc", "is blocked")]
    [InlineData("/proc/1/root", "is under blocked /proc")]
    [InlineData("/proc/../etc", null)]
    [InlineData("/var/run/docker.sock.d", null)]
    [InlineData("/var/log", null)]
    [InlineData("/processes", null)]
    [InlineData("relative/path", null)]
    public void HostPathsAreNormalisedAndExposureCounts(string mounted, string? expected) =>
        Assert.Equal(expected, new HostPathRules(["/var/run/docker.sock", "/"], ["/proc/"]).Blocked(mounted));

    [Theory]
    [InlineData("", true)]
    [InlineData("0", true)]
    [InlineData("root", true)]
    [InlineData("0:0", true)]
    [InlineData("root:1000", true)]
    [InlineData("000", true)]
    [InlineData("1000", false)]
    [InlineData("1000:0", false)]
    [InlineData("nobody", false)]
    public void RootIsUidZeroOrTheNameRootOrNoUser(string user, bool root) => Assert.Equal(root, ImageControlCheck.IsRoot(user));

    [Fact]
    public void AllowListFileIsReReadWhenItChangesAndABadOneKeepsThePreviousContent()
    {
        string digestA = "sha256:" + new string('a', 64), digestB = "sha256:" + new string('b', 64);
        var nginx = ImageReference.Parse("nginx:1.27");
        string path = Path.Combine(_dir, "digests.txt");
        var list = new DigestAllowList(path, TimeSpan.Zero);

        // No file yet: nothing is allowed, and the reason is given.
        Assert.False(list.Current().Allows(nginx, [digestA]));
        Assert.Contains("cannot be read", list.Current().Problem);

        File.WriteAllText(path, $"# comment\n\n{digestA.ToUpperInvariant().Replace("SHA256", "sha256", StringComparison.Ordinal)} # trailing comment\r\nnginx@{digestB}\n");
        Assert.True(list.Current().Allows(nginx, [digestA]));
        Assert.True(list.Current().Allows(nginx, [digestB])); // nginx is docker.io/library/nginx
        Assert.False(list.Current().Allows(ImageReference.Parse("other"), [digestB]));
        Assert.Null(list.Current().Problem);
        Assert.Equal(2, list.Current().Count);

        File.WriteAllText(path, $"{digestB}\nnginx:latest\n");
        Assert.True(list.Current().Allows(nginx, [digestA]));
        Assert.Contains("line 2 is not", list.Current().Problem);
        Assert.Contains("previous content is in force", list.Current().Problem);

        File.Delete(path);
        Assert.True(list.Current().Allows(nginx, [digestA]));
        Assert.Contains("cannot be read", list.Current().Problem);
    }

    [Fact]
    public void AllowListFollowsAConfigMapSymlinkSwap()
    {
        // The kubelet's layout: digests.txt -> ..data/digests.txt, ..data -> ..<timestamp>/, swapped by rename.
        string digestA = "sha256:" + new string('a', 64), digestB = "sha256:" + new string('b', 64);
        var image = ImageReference.Parse("registry.example/app:1");
        Directory.CreateDirectory(Path.Combine(_dir, "..v1"));
        File.WriteAllText(Path.Combine(_dir, "..v1", "digests.txt"), digestA + "\n");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(_dir, "digests.txt"), "..data/digests.txt");
        var list = new DigestAllowList(Path.Combine(_dir, "digests.txt"), TimeSpan.Zero);
        Assert.True(list.Current().Allows(image, [digestA]));

        Directory.CreateDirectory(Path.Combine(_dir, "..v2"));
        File.WriteAllText(Path.Combine(_dir, "..v2", "digests.txt"), digestB + "\n");
        Directory.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..v2");
        // rename(2) over the old link, as the kubelet does (File.Move follows the link to the directory).
        MicroEnforcer.Injector.Tests.Registry.Tools.Run("mv", "-T", Path.Combine(_dir, "..data_tmp"), Path.Combine(_dir, "..data"));
        Directory.Delete(Path.Combine(_dir, "..v1"), recursive: true);

        Assert.False(list.Current().Allows(image, [digestA]));
        Assert.True(list.Current().Allows(image, [digestB]));
    }

    [Fact]
    public void ConfigurationBindsFromEnvironmentStyleKeysAndNamespacesOverrideKeyByKey()
    {
        var options = new InjectorOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Injector:ImageControls:RegistriesAllowed:Mode"] = "enforce",
            ["Injector:ImageControls:RegistriesAllowed:Registries:0"] = "docker.io",
            ["Injector:ImageControls:RegistriesAllowed:Registries:1"] = "ghcr.io/acme",
            ["Injector:ImageControls:VolumesBlocked:Mode"] = "Warn",
            ["Injector:ImageControls:VolumesBlocked:Types:0"] = "hostPath",
            ["Injector:ImageControls:Namespaces:lab:RegistriesAllowed:Mode"] = "Warn",
            ["Injector:ImageControls:Namespaces:ci:RegistriesAllowed:Registries:0"] = "registry.ci.example",
        }).Build().GetSection("Injector").Bind(options);

        EffectiveImageControls cluster = options.ImageControls.For("shop");
        Assert.Equal(ControlMode.Enforce, cluster.RegistriesAllowed);
        Assert.Equal(["docker.io", "ghcr.io/acme"], cluster.Registries);
        Assert.Equal(ControlMode.Warn, cluster.VolumesBlocked);
        Assert.Equal(ControlMode.Off, cluster.UnregisteredImages);

        EffectiveImageControls lab = options.ImageControls.For("lab");
        Assert.Equal(ControlMode.Warn, lab.RegistriesAllowed);
        Assert.Equal(["docker.io", "ghcr.io/acme"], lab.Registries); // inherited
        EffectiveImageControls ci = options.ImageControls.For("ci");
        Assert.Equal(ControlMode.Enforce, ci.RegistriesAllowed); // inherited
        Assert.Equal(["registry.ci.example"], ci.Registries);
        Assert.Equal(ControlMode.Warn, ci.VolumesBlocked);
    }

    [Fact]
    public void TheWebhookRefusesToStartWithAMisspeltControlKey()
    {
        // Silently ignoring `Mod` would leave the control off while its owner believes it enforced.
        var e = Assert.Throws<InvalidOperationException>(() => MicroEnforcer.Injector.Hosting.WebhookServer.Build(["--Injector:ImageControls:RegistriesAllowed:Mod=Enforce"]));
        Assert.Contains("Mod", e.Message);
        var mode = Assert.Throws<InvalidOperationException>(() => MicroEnforcer.Injector.Hosting.WebhookServer.Build(["--Injector:ImageControls:RegistriesAllowed:Mode=Block"]));
        Assert.Contains("Block", mode.Message);
    }

    [Fact]
    public void EverythingIsOffByDefault()
    {
        EffectiveImageControls controls = new InjectorOptions().ImageControls.For("any");
        Assert.False(controls.AnyOn);
        Assert.False(controls.NeedsRegistry);
    }
}
