using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.ImageControls;
using MicroEnforcer.Injector.Registry;
using MicroEnforcer.Injector.Tests.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests.ImageControls;

/// <summary>
/// Block Unregistered Images and Block Non-compliant Images against the real registry on loopback
/// (<see cref="RegistryFixture"/>): an image pushed with no User and no labels, one with User
/// 1000:1000 and labels, a two-platform index. Digests, users and labels come from the registry
/// through the resolver, as in a cluster.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class RegistryImageControlTests(RegistryFixture registries) : IDisposable
{
    private static readonly string[] s_requiredLabels = ["org.opencontainers.image.source", "team"];
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-image-controls-").FullName;
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string AllowList => Path.Combine(_dir, "allowed-digests.txt");

    private AdmissionHandler Handler(ControlMode mode)
    {
        var options = new InjectorOptions
        {
            EnforcerImage = "registry.example/microenforcer:1.0",
            InsecureRegistries = [registries.Plain.Host],
            ImageControls = new ImageControlsOptions
            {
                AllowListReloadSeconds = 0,
                UnregisteredImages = new() { Mode = mode, AllowListPath = AllowList },
                NonCompliantImages = new() { RunsAsRoot = mode, MissingLabels = mode, RequiredLabels = [.. s_requiredLabels] },
            },
        };
        var kubernetes = new TableKubernetesApi(null);
        var resolver = new ImageConfigResolver(new RegistryClient(_http, options), kubernetes, options);
        return new AdmissionHandler(resolver, kubernetes, options, NullLogger<AdmissionHandler>.Instance);
    }

    private static JsonObject Review(params JsonObject[] containers) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = "0b8e2f9a-image-controls",
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["namespace"] = "shop",
            ["name"] = "app",
            ["operation"] = "CREATE",
            ["object"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = "app", ["namespace"] = "shop" },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray([.. containers]) },
            },
        },
    };

    private static JsonObject Container(string name, string image, long? runAsUser = null)
    {
        var container = new JsonObject { ["name"] = name, ["image"] = image, ["command"] = new JsonArray("/usr/local/bin/app") };
        if (runAsUser is not null)
            container["securityContext"] = new JsonObject { ["runAsUser"] = runAsUser };
        return container;
    }

    private static async Task<(bool Allowed, string Message, string Warnings)> AdmitAsync(AdmissionHandler handler, JsonObject review)
    {
        JsonObject response = (await handler.HandleAsync(review, namespaceEnabled: false, CancellationToken.None))["response"]!.AsObject();
        return (response["allowed"]!.GetValue<bool>(),
            response["status"]?["message"]?.GetValue<string>() ?? "",
            string.Join('\n', response["warnings"]?.AsArray().Select(w => w!.GetValue<string>()) ?? []));
    }

    [Fact]
    public async Task ListedNonRootLabelledImageIsAdmittedAndTheRootOneRefusedForEachReason()
    {
        await File.WriteAllTextAsync(AllowList, $"# released\n{registries.NonRootManifestDigest}  # team/nonroot\n");
        AdmissionHandler handler = Handler(ControlMode.Enforce);
        string nonroot = $"{registries.Plain.Host}/team/nonroot:nonroot";
        string root = $"{registries.Plain.Host}/team/root:root";

        var admitted = await AdmitAsync(handler, Review(Container("app", nonroot)));
        Assert.True(admitted.Allowed, admitted.Message);
        Assert.Equal("", admitted.Warnings);

        var refused = await AdmitAsync(handler, Review(Container("ok", nonroot), Container("app", root)));
        Assert.False(refused.Allowed);
        Assert.Contains($"Block Unregistered Images: container app: image {root} resolves to {registries.RootManifestDigest}, which is not in the allow-list", refused.Message);
        Assert.Contains($"Block Non-compliant Images (runs as root): container app: image {root} runs as root (no User (root))", refused.Message);
        Assert.Contains($"Block Non-compliant Images (missing labels): container app: image {root} lacks the required label(s) org.opencontainers.image.source, team", refused.Message);
        Assert.DoesNotContain("container ok", refused.Message);

        // The pod's own non-root user wins over the image's; the digest still is not listed.
        var withUser = await AdmitAsync(handler, Review(Container("app", $"{registries.Plain.Host}/team/root@{registries.RootManifestDigest}", runAsUser: 1000)));
        Assert.False(withUser.Allowed);
        Assert.DoesNotContain("runs as root", withUser.Message);
        Assert.Contains("Block Unregistered Images", withUser.Message);
    }

    [Fact]
    public async Task DryRunAdmitsWithEveryFindingAsAWarning()
    {
        await File.WriteAllTextAsync(AllowList, registries.NonRootManifestDigest + "\n");
        var result = await AdmitAsync(Handler(ControlMode.Warn), Review(Container("app", $"{registries.Plain.Host}/team/root:root")));
        Assert.True(result.Allowed);
        string[] warnings = result.Warnings.Split('\n');
        Assert.Equal(3, warnings.Length);
        Assert.All(warnings, w => Assert.StartsWith("microenforcer (dry run): ", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnImageTheRegistryDoesNotHaveIsRefusedWithTheReason()
    {
        await File.WriteAllTextAsync(AllowList, registries.NonRootManifestDigest + "\n");
        string absent = $"{registries.Plain.Host}/team/nonroot:absent";
        var result = await AdmitAsync(Handler(ControlMode.Enforce), Review(Container("app", absent)));
        Assert.False(result.Allowed);
        Assert.Contains($"Block Unregistered Images: container app: image {absent} cannot be resolved to a digest: ", result.Message);
        Assert.Contains("404", result.Message);
        Assert.Contains("(runs as root): container app: cannot read the user of image", result.Message);
    }

    [Fact]
    public async Task AnIndexIsListedByItsOwnDigestOrItsPlatformsAndTheListIsReReadWhenItChanges()
    {
        string multi = $"{registries.Plain.Host}/team/multi:multi";
        AdmissionHandler handler = Handler(ControlMode.Enforce);
        // Only the unregistered rule matters here: the multi image has no User and no labels.
        await File.WriteAllTextAsync(AllowList, "");
        var before = await AdmitAsync(handler, Review(Container("app", multi, runAsUser: 1000)));
        Assert.Contains($"resolves to {registries.MultiIndexDigest} / sha256:", before.Message);

        await File.WriteAllTextAsync(AllowList, $"{registries.Plain.Host}/team/multi@{registries.MultiIndexDigest}\n");
        var after = await AdmitAsync(handler, Review(Container("app", multi, runAsUser: 1000)));
        Assert.DoesNotContain("Block Unregistered Images", after.Message);

        // Listed under another repository, the same digest does not count.
        await File.WriteAllTextAsync(AllowList, $"{registries.Plain.Host}/team/other@{registries.MultiIndexDigest}\n");
        var elsewhere = await AdmitAsync(handler, Review(Container("app", multi, runAsUser: 1000)));
        Assert.Contains("Block Unregistered Images", elsewhere.Message);
    }
}
