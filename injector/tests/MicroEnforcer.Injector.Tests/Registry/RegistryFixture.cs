using Xunit;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>
/// Three real registries on loopback, filled once per test run with skopeo from OCI layouts
/// written here: anonymous (an OCI image, a Docker-format image, a two-platform image index,
/// an image with CMD only), htpasswd Basic auth, and bearer tokens from <see cref="TokenServer"/>.
/// </summary>
#pragma warning disable CA1001 // xunit disposes fixtures through IAsyncLifetime.DisposeAsync
public sealed class RegistryFixture : IAsyncLifetime
#pragma warning restore CA1001
{
    public const string User = "puller";
    public const string Password = "s3cret-pull";

    public static readonly string[] AppEntrypoint = ["/usr/local/bin/app"];
    public static readonly string[] AppCmd = ["--listen", ":8080"];

    private readonly List<IDisposable> _servers = [];
    private TokenServer? _tokens;
    private string? _layoutDir;

    internal RegistryServer Plain { get; private set; } = null!;
    internal RegistryServer Basic { get; private set; } = null!;
    internal RegistryServer Bearer { get; private set; } = null!;
    internal TokenServer Tokens => _tokens!;

    /// <summary>Digest of the plain registry's `app:1` manifest, for digest-pinned references.</summary>
    public string AppManifestDigest { get; private set; } = "";

    /// <summary>The image controls' images on the plain registry: `team/root:root` (no User, no labels) and
    /// `team/nonroot:nonroot` (User 1000:1000, with <see cref="NonRootLabels"/>); their manifest digests.</summary>
    public string RootManifestDigest { get; private set; } = "";

    public string NonRootManifestDigest { get; private set; } = "";

    /// <summary>Digest of the plain registry's `team/multi:multi` image index (its platforms' manifests differ).</summary>
    public string MultiIndexDigest { get; private set; } = "";

    public static readonly Dictionary<string, string> NonRootLabels = new()
    {
        ["org.opencontainers.image.source"] = "https://git.example/team/nonroot",
        ["team"] = "payments",
    };

    public async Task InitializeAsync()
    {
        Tools.Require();
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialisation failed: stop what was started.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _layoutDir = Directory.CreateTempSubdirectory("microenforcer-oci-").FullName;
        var layout = new OciLayout(_layoutDir);
        AppManifestDigest = layout.AddImage("app", AppEntrypoint, AppCmd)["digest"]!.GetValue<string>();
        layout.AddImage("cmd-only", null, ["sh"]);
        MultiIndexDigest = layout.AddIndex("multi", ["/entry"], ("amd64", ["built-for-amd64"]), ("arm64", ["built-for-arm64"]))["digest"]!.GetValue<string>();
        RootManifestDigest = layout.AddImage("root", ["/usr/local/bin/app"], null)["digest"]!.GetValue<string>();
        NonRootManifestDigest = layout.AddImage("nonroot", ["/usr/local/bin/app"], null, user: "1000:1000", labels: NonRootLabels)["digest"]!.GetValue<string>();
        layout.Save();

        Plain = Add(new RegistryServer("plain"));
        Plain.Push(_layoutDir, "app", "team/app");
        Plain.Push(_layoutDir, "app", "team/docker-format", dockerFormat: true);
        Plain.Push(_layoutDir, "cmd-only", "tools/shell");
        Plain.Push(_layoutDir, "multi", "team/multi", all: true);
        Plain.Push(_layoutDir, "root", "team/root");
        Plain.Push(_layoutDir, "nonroot", "team/nonroot");

        string htpasswd = Path.Combine(_layoutDir, "htpasswd");
        Tools.Run("htpasswd", "-Bbc", htpasswd, User, Password);
        Basic = Add(new RegistryServer("basic", $"  htpasswd:\n    realm: microenforcer-test\n    path: {htpasswd}\n"));
        Basic.Push(_layoutDir, "app", "private/app", $"{User}:{Password}");

        _tokens = new TokenServer(User, Password);
        string bundle = Path.Combine(_layoutDir, "token-ca.pem");
        await File.WriteAllTextAsync(bundle, _tokens.CertificatePem);
        Bearer = Add(new RegistryServer("bearer", _tokens.RegistryAuthConfig(bundle)));
        Bearer.Push(_layoutDir, "multi", "private/multi", $"{User}:{Password}", all: true);
    }

    private RegistryServer Add(RegistryServer server)
    {
        _servers.Add(server);
        return server;
    }

    public async Task DisposeAsync()
    {
        foreach (IDisposable server in _servers)
            server.Dispose();
        if (_tokens is not null)
            await _tokens.DisposeAsync();
        if (_layoutDir is not null)
            Directory.Delete(_layoutDir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "Registry";
}
