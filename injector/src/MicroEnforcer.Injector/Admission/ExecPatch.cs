using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// `kubectl exec` into an injected pod: the PodExecOptions' command gets the prefix
/// `/.microenforcer/microenforcer exec --`, so the session joins PID 1's enforcement before
/// its first instruction (no window in which the /proc watch has not seen it yet).
/// </summary>
internal static class ExecPatch
{
    public static readonly string[] Prefix = [PodPatchBuilder.Binary, "exec", "--"];

    /// <summary>The patch, or null when the command is absent or already wrapped.</summary>
    public static JsonPatch? Build(JsonObject execOptions)
    {
        if (execOptions["command"] is not JsonArray { Count: > 0 } command)
            return null;
        // Already wrapped (by the user, or by a reinvocation): never double-prefix. Only the exact
        // prefix counts: `microenforcer run -- sh` or any other use of the binary is wrapped too.
        List<string?> words = [.. command.Select(c => c?.GetValue<string>())]; // strings: ReviewShape checked
        if (words.Count >= Prefix.Length && words.Take(Prefix.Length).SequenceEqual(Prefix))
            return null;
        var wrapped = new JsonArray([.. Prefix.Select(p => (JsonNode?)JsonValue.Create(p)), .. command.Select(c => c?.DeepClone())]);
        return new JsonPatch().Replace("/command", wrapped);
    }

    /// <summary>
    /// Whether CONTAINER of POD has the enforcer: the pod carries the injected annotation and the
    /// container mounts the enforcer's volume at /.microenforcer (init and ephemeral containers,
    /// and containers a later webhook added, do not). An empty CONTAINER means the default one:
    /// the `kubectl.kubernetes.io/default-container` annotation's, else the first.
    /// </summary>
    public static bool TargetsEnforcedContainer(JsonObject pod, string? container)
    {
        var annotations = (pod["metadata"] as JsonObject)?["annotations"] as JsonObject;
        if (annotations?[Annotations.Injected] is null)
            return false;
        if ((pod["spec"] as JsonObject)?["containers"] is not JsonArray { Count: > 0 } containers)
            return false;
        // The pod comes from the API server, not from the review ReviewShape checked: read leniently.
        string? name = string.IsNullOrEmpty(container) ? Text(annotations["kubectl.kubernetes.io/default-container"]) : container;
        JsonNode? target = name is null ? containers[0] : containers.FirstOrDefault(c => c is JsonObject o && Text(o["name"]) == name);
        return target is JsonObject { } t && t["volumeMounts"] is JsonArray mounts
            && mounts.Any(m => m is JsonObject o && Text(o["name"]) == PodPatchBuilder.BinVolume && Text(o["mountPath"]) == PodPatchBuilder.EnforcerDir);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : null;
}
