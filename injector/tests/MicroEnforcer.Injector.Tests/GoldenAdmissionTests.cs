using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests;

/// <summary>
/// testassets/&lt;case&gt;/: `admission-review.json` in, `expected-patch.json` out (`[]`: no patch),
/// and `case.json` for the rest of the world: which webhook path it came through
/// (`namespaceEnabled`), the injector's audit sinks (`audit`), the image configs the registry would return (`images`; a string is a
/// failure), the pod an exec targets (`pod`), and the expected `allowed` and `warning`.
/// Beyond the exact patch, a pod patch is applied and the result checked (PodInvariants), then
/// sent again: the second review must leave it alone. Set UPDATE_GOLDEN=1 to rewrite the
/// expected files in the source tree (and read the diff).
/// </summary>
public sealed class GoldenAdmissionTests
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "testassets");
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web);

    public static TheoryData<string> Cases() => [.. Directory.GetDirectories(s_assets).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ReviewGivesTheExpectedPatch(string name)
    {
        string dir = Path.Combine(s_assets, name);
        var review = Read(Path.Combine(dir, "admission-review.json"));
        var context = File.Exists(Path.Combine(dir, "case.json")) ? Read(Path.Combine(dir, "case.json")) : new JsonObject();
        var images = context["images"] as JsonObject;
        var handler = Handler(context);

        JsonObject response = (await handler.HandleAsync(review.DeepClone(), context["namespaceEnabled"]?.GetValue<bool>() ?? false, CancellationToken.None))["response"]!.AsObject();
        JsonArray patch = Patch(response);

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            WriteSource(name, patch);
        JsonNode expected = Read(Path.Combine(dir, "expected-patch.json"), array: true);
        Assert.True(JsonNode.DeepEquals(expected, patch), $"{name}: patch differs\nexpected {expected.ToJsonString()}\nactual   {patch.ToJsonString()}");
        Assert.Equal(review["request"]!["uid"]!.GetValue<string>(), response["uid"]!.GetValue<string>());
        Assert.Equal(context["allowed"]?.GetValue<bool>() ?? true, response["allowed"]!.GetValue<bool>());
        string warnings = string.Join('\n', response["warnings"]?.AsArray().Select(w => w!.GetValue<string>()) ?? []);
        if (context["warning"]?.GetValue<string>() is { } warning)
            Assert.Contains(warning, warnings);
        else
            Assert.Equal("", warnings);
        if (response["allowed"]!.GetValue<bool>() == false)
            Assert.Contains(context["denyMessage"]!.GetValue<string>(), response["status"]!["message"]!.GetValue<string>());

        var request = review["request"]!.AsObject();
        var original = request["object"]!.AsObject();
        if (request["subResource"]?.GetValue<string>() == "exec")
        {
            if (patch.Count > 0)
            {
                JsonObject wrapped = JsonPatchApplier.Apply(original, patch);
                Assert.Equal([.. ExecPatch.Prefix, .. Strings(original["command"])], Strings(wrapped["command"]));
            }
            return;
        }
        if (patch.Count == 0)
            return;

        JsonObject injected = JsonPatchApplier.Apply(original, patch);
        PodInvariants.AssertInjected(original, injected, image => (Strings(images?[image]?["Entrypoint"]), Strings(images?[image]?["Cmd"])));

        // Idempotent: the injected pod, reviewed again (a retried CREATE, a reinvocation), is left alone.
        var again = review.DeepClone().AsObject();
        again["request"]!["object"] = injected;
        JsonObject second = (await handler.HandleAsync(again, context["namespaceEnabled"]?.GetValue<bool>() ?? false, CancellationToken.None))["response"]!.AsObject();
        Assert.Empty(Patch(second));
    }

    [Fact]
    public void ThereAreManyCases() => Assert.True(Cases().Count >= 20, $"{Cases().Count} golden cases");

    internal static AdmissionHandler Handler(JsonObject context, InjectorOptions? options = null)
    {
        options ??= new InjectorOptions { EnforcerImage = "registry.example/microenforcer:1.0" };
        // `audit` in case.json: the injector's Audit settings (AuditSinkOptions) for this case.
        if (context["audit"] is JsonObject audit)
            options.Audit = audit.Deserialize<AuditSinkOptions>(s_web)!;
        var kubernetes = new TableKubernetesApi(context["pod"] as JsonObject, failure: context["apiFailure"]?.GetValue<string>());
        var resolver = new ImageConfigResolver(new TableImageSource(context["images"] as JsonObject), kubernetes, options);
        return new AdmissionHandler(resolver, kubernetes, options, NullLogger<AdmissionHandler>.Instance);
    }

    internal static JsonArray Patch(JsonObject response) =>
        response["patch"] is { } p ? JsonNode.Parse(Convert.FromBase64String(p.GetValue<string>()))!.AsArray() : [];

    private static JsonNode Read(string path, bool array = false) => array ? JsonNode.Parse(File.ReadAllText(path))! : JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    private static JsonObject Read(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];

    private static void WriteSource(string name, JsonArray patch)
    {
        string source = Path.Combine(TestPaths.InjectorTests, "testassets", name, "expected-patch.json");
        File.WriteAllText(source, patch.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
    }
}

internal static class TestPaths
{
    /// <summary>The repository root: the directory above injector/ with MicroEnforcer.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public static string InjectorTests => Path.Combine(RepositoryRoot, "injector", "tests", "MicroEnforcer.Injector.Tests");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicroEnforcer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("MicroEnforcer.sln not found above " + AppContext.BaseDirectory);
    }
}
