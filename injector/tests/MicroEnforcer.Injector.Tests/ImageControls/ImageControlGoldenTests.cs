using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Injector.Tests.ImageControls;

/// <summary>
/// ImageControls/testassets/&lt;case&gt;/: `admission-review.json` in, `expected-response.json`
/// out (the whole AdmissionReview response, its patch decoded), and `case.json`: the
/// `imageControls` section exactly as appsettings.json would hold it under `Injector` (bound by
/// the configuration binder, as the webhook binds it), the image table the registry would answer
/// (`images`; a string is a failure), the digest allow-list file's content (`allowList`, written
/// to a file whose path replaces `$ALLOWLIST`) and `namespaceEnabled`. A patched pod is reviewed
/// again and must be admitted with no second patch and no new finding. UPDATE_GOLDEN=1 rewrites
/// the expected files in the source tree (read the diff).
/// </summary>
public sealed class ImageControlGoldenTests : IDisposable
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "ImageControls", "testassets");
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-image-controls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Cases() => [.. Directory.GetDirectories(s_assets).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ReviewGivesTheExpectedResponse(string name)
    {
        string dir = Path.Combine(s_assets, name);
        var review = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "admission-review.json")))!.AsObject();
        var context = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "case.json")))!.AsObject();
        bool namespaceEnabled = context["namespaceEnabled"]?.GetValue<bool>() ?? false;
        AdmissionHandler handler = Handler(context, _dir);

        JsonObject response = Decoded((await handler.HandleAsync(review.DeepClone(), namespaceEnabled, CancellationToken.None))["response"]!.AsObject());

        string expectedPath = Path.Combine(dir, "expected-response.json");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(TestPaths.InjectorTests, "ImageControls", "testassets", name, "expected-response.json"),
                response.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n", new UTF8Encoding(false));
            return;
        }
        JsonNode expected = JsonNode.Parse(File.ReadAllText(expectedPath))!;
        Assert.True(JsonNode.DeepEquals(expected, response), $"{name}: response differs\nexpected {expected.ToJsonString()}\nactual   {response.ToJsonString()}");

        if (response["patch"] is JsonArray patch)
        {
            var request = review["request"]!.AsObject();
            var again = review.DeepClone().AsObject();
            again["request"]!["object"] = JsonPatchApplier.Apply(request["object"]!.AsObject(), patch);
            JsonObject second = Decoded((await handler.HandleAsync(again, namespaceEnabled, CancellationToken.None))["response"]!.AsObject());
            Assert.True(second["allowed"]!.GetValue<bool>(), second.ToJsonString());
            Assert.Null(second["patch"]);
            Assert.True(JsonNode.DeepEquals(response["warnings"], second["warnings"]), $"the injected pod reviewed again: {second.ToJsonString()}");
        }
    }

    [Fact]
    public void EveryControlHasEnforceAndWarnCases()
    {
        var cases = Directory.GetDirectories(s_assets).Select(d => Path.GetFileName(d)!).ToList();
        foreach (string control in new[] { "registries-allowed", "unregistered", "noncompliant", "volumes-blocked" })
        {
            Assert.Contains($"{control}-enforce", cases);
            Assert.Contains($"{control}-warn", cases);
        }
    }

    /// <summary>The handler with case.json's image controls bound from configuration, as the webhook does.</summary>
    internal static AdmissionHandler Handler(JsonObject context, string tempDir)
    {
        string section = context["imageControls"]?.ToJsonString() ?? "{}";
        if (context["allowList"]?.GetValue<string>() is { } allowList)
        {
            string path = Path.Combine(tempDir, "allowed-digests.txt");
            File.WriteAllText(path, allowList);
            section = section.Replace("$ALLOWLIST", path, StringComparison.Ordinal);
        }
        var options = new InjectorOptions { EnforcerImage = "registry.example/microenforcer:1.0" };
        string json = "{\"Injector\": {\"ImageControls\": " + section + "}}";
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("Injector").Bind(options);
        var kubernetes = new TableKubernetesApi(null);
        var resolver = new ImageConfigResolver(new TableImageSource(context["images"] as JsonObject), kubernetes, options);
        return new AdmissionHandler(resolver, kubernetes, options, NullLogger<AdmissionHandler>.Instance);
    }

    private static JsonObject Decoded(JsonObject response)
    {
        var result = response.DeepClone().AsObject();
        if (result["patch"] is { } p)
            result["patch"] = JsonNode.Parse(Convert.FromBase64String(p.GetValue<string>()));
        return result;
    }
}
