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
        if (command[0]?.GetValue<string>() == PodPatchBuilder.Binary)
            return null; // already wrapped (by the user, or by a reinvocation): never double-prefix
        var wrapped = new JsonArray([.. Prefix.Select(p => (JsonNode?)JsonValue.Create(p)), .. command.Select(c => c?.DeepClone())]);
        return new JsonPatch().Replace("/command", wrapped);
    }

    /// <summary>
    /// Whether CONTAINER of POD has the enforcer: the pod carries the injected annotation and
    /// the container is one of its app containers (init and ephemeral containers were not wrapped).
    /// An empty CONTAINER means the default one: the `kubectl.kubernetes.io/default-container`
    /// annotation or the first container.
    /// </summary>
    public static bool TargetsEnforcedContainer(JsonObject pod, string? container)
    {
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        if (annotations?[Annotations.Injected] is null)
            return false;
        if (pod["spec"]?["containers"] is not JsonArray { Count: > 0 } containers)
            return false;
        if (string.IsNullOrEmpty(container))
            return true; // kubectl's default container is one of spec.containers either way
        return containers.Any(c => c?["name"]?.GetValue<string>() == container);
    }
}
