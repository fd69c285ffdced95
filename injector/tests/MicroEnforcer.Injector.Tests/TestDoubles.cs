using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Kubernetes;
using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.Tests;

/// <summary>Image configs from a table (the golden cases' case.json): a string value is a resolution failure.</summary>
internal sealed class TableImageSource(JsonObject? table) : IImageConfigSource
{
    public List<(string Image, Platform Platform)> Calls { get; } = [];

    /// <summary>The credentials each call was given, in call order.</summary>
    public List<DockerConfig> Credentials { get; } = [];

    public Task<ImageConfig> ResolveAsync(string image, Platform platform, DockerConfig credentials, CancellationToken cancel)
    {
        lock (Calls)
        {
            Calls.Add((image, platform));
            Credentials.Add(credentials);
        }
        JsonNode? entry = table?[image];
        if (entry is null)
            throw new ImageResolutionException($"{image}: not in the test's image table");
        if (entry.GetValueKind() == System.Text.Json.JsonValueKind.String)
            throw new ImageResolutionException(entry.GetValue<string>());
        return Task.FromResult(new ImageConfig(Strings(entry["Entrypoint"]), Strings(entry["Cmd"]), "sha256:test",
            entry["User"]?.GetValue<string>() ?? "", Labels(entry["Labels"]), entry["Digest"]?.GetValue<string>(), entry["PlatformDigest"]?.GetValue<string>()));
    }

    private static Dictionary<string, string> Labels(JsonNode? node) =>
        node is JsonObject o ? o.ToDictionary(l => l.Key, l => l.Value!.GetValue<string>()) : [];

    private static List<string>? Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : null;
}

/// <summary>The API server as a table: the pod a pods/exec request targets, pull secrets by name.</summary>
internal sealed class TableKubernetesApi(JsonObject? pod, Dictionary<string, string>? secrets = null, string? failure = null) : IKubernetesApi
{
    public Task<string?> GetPullSecretAsync(string ns, string name, CancellationToken cancel) =>
        failure is not null ? throw new HttpRequestException(failure) : Task.FromResult(secrets?.GetValueOrDefault(name));

    public Task<JsonObject?> GetPodAsync(string ns, string name, CancellationToken cancel) =>
        failure is not null ? throw new HttpRequestException(failure) : Task.FromResult(pod?.DeepClone().AsObject());
}
