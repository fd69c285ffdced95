using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// The JSON Patch that injects the enforcer into a pod the decision said to inject. It only adds:
/// arrays and objects are created when missing and appended to (`/-`) when present, and nothing
/// else of the pod is touched. Every app container gets the enforcer directory read-only, the
/// policy, `SYS_PTRACE`, the audit sink and identity variables (EnforcerEnvironment) it does not
/// set itself, and its command rewritten to `/.microenforcer/microenforcer run -- <what it ran>`.
/// </summary>
internal static class PodPatchBuilder
{
    public const string InitContainerName = "microenforcer-init";
    public const string BinVolume = "microenforcer-bin";
    public const string PolicyVolume = "microenforcer-policy";
    public const string EnforcerDir = "/.microenforcer";
    public const string Binary = EnforcerDir + "/microenforcer";
    public const string PolicyDir = "/.microenforcer-policy";
    public const string PolicyKey = "policy.yaml";
    private const string InstallDir = "/microenforcer-volume";

    /// <summary>The command a container's original command follows: `microenforcer run [--policy FILE] --`.</summary>
    public static List<string> RunPrefix(bool withPolicy) =>
        withPolicy ? [Binary, "run", "--policy", $"{PolicyDir}/{PolicyKey}", "--"] : [Binary, "run", "--"];

    /// <param name="imageConfigs">Resolved image configs by container index, for containers without `command`.</param>
    public static JsonPatch Build(JsonObject pod, InjectorOptions options, IReadOnlyDictionary<int, ImageConfig> imageConfigs)
    {
        var patch = new JsonPatch();
        var metadata = pod["metadata"] as JsonObject;
        var spec = (JsonObject)pod["spec"]!;
        string? policyConfigMap = metadata?["annotations"]?[Annotations.Policy]?.GetValue<string>();

        if (metadata is null)
            patch.Add("/metadata", new JsonObject { ["annotations"] = new JsonObject { [Annotations.Injected] = options.EnforcerImage } });
        else
            AddToObject(patch, metadata, "/metadata", "annotations", Annotations.Injected, JsonValue.Create(options.EnforcerImage));

        AppendToArray(patch, spec, "/spec", "volumes", Volumes(policyConfigMap));
        AppendToArray(patch, spec, "/spec", "initContainers", [InitContainer(options)]);

        var containers = (JsonArray)spec["containers"]!;
        for (int i = 0; i < containers.Count; i++)
        {
            var container = (JsonObject)containers[i]!;
            string path = $"/spec/containers/{i}";
            RewriteCommand(patch, container, path, policyConfigMap is not null, imageConfigs.GetValueOrDefault(i));
            AppendToArray(patch, container, path, "volumeMounts", Mounts(policyConfigMap is not null));
            AddEnvironment(patch, container, path, options.Audit);
            AddPtrace(patch, container, path);
        }
        return patch;
    }

    /// <summary>Containers that run the image's own ENTRYPOINT (no `command`): their config must be resolved first.</summary>
    public static IEnumerable<int> ContainersNeedingImageConfig(JsonObject pod) =>
        ((JsonArray)pod["spec"]!["containers"]!)
            .Select((c, i) => (c, i))
            .Where(x => IsMissing(x.c?["command"]))
            .Select(x => x.i);

    private static void RewriteCommand(JsonPatch patch, JsonObject container, string path, bool withPolicy, ImageConfig? image)
    {
        List<string> command = RunPrefix(withPolicy);
        if (!IsMissing(container["command"]))
        {
            // Kubernetes runs command + args; with a command the image's ENTRYPOINT and CMD are ignored.
            command.AddRange(container["command"]!.AsArray().Select(a => a!.GetValue<string>()));
            patch.Replace($"{path}/command", ToArray(command));
            return;
        }
        // No command: the runtime runs the image's ENTRYPOINT, followed by `args` or else the image's CMD.
        if (image is null)
            throw new InvalidOperationException($"container {container["name"]} has no command and its image config was not resolved");
        // The kubelet expands $(VAR) and $$ in a pod's command and args, never in the image's own
        // ENTRYPOINT and CMD: what is copied from the image is escaped so that it still means what it did.
        command.AddRange((image.Entrypoint ?? []).Select(EscapeForKubelet));
        patch.Add($"{path}/command", ToArray(command));
        if (IsMissing(container["args"]) && image.Cmd is { Count: > 0 } cmd)
            patch.Add($"{path}/args", ToArray(cmd.Select(EscapeForKubelet)));
    }

    /// <summary>A string the kubelet's $(VAR) expansion gives back unchanged: every `$` doubled.</summary>
    internal static string EscapeForKubelet(string s) => s.Replace("$", "$$", StringComparison.Ordinal);

    /// <summary>The audit sinks and the resource identity (EnforcerEnvironment), but none the container sets itself.</summary>
    private static void AddEnvironment(JsonPatch patch, JsonObject container, string path, AuditSinkOptions audit)
    {
        var present = (container["env"] as JsonArray ?? []).Select(e => e?["name"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var variables = new List<JsonNode>();
        void Literal(string name, string value)
        {
            // The kubelet expands $(VAR) in env values too: `$` doubled keeps the value as written.
            if (present.Add(name))
                variables.Add(new JsonObject { ["name"] = name, ["value"] = EscapeForKubelet(value) });
        }
        void Field(string name, string fieldPath)
        {
            if (present.Add(name))
                variables.Add(new JsonObject { ["name"] = name, ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = fieldPath } } });
        }
        foreach (var (name, value) in EnforcerEnvironment.AuditSinks(audit))
            Literal(name, value);
        Field(EnforcerEnvironment.PodName, "metadata.name");
        Field(EnforcerEnvironment.PodNamespace, "metadata.namespace");
        if (container["name"]?.GetValue<string>() is { } containerName)
            Literal(EnforcerEnvironment.ContainerName, containerName);
        if (container["image"]?.GetValue<string>() is { } image)
            Literal(EnforcerEnvironment.Image, image);
        if (variables.Count > 0)
            AppendToArray(patch, container, path, "env", variables);
    }

    private static void AddPtrace(JsonPatch patch, JsonObject container, string path)
    {
        // The enforcer needs CAP_SYS_PTRACE (reading other UIDs' memory, seizing exec sessions)
        // and drops it from the workload's bounding set itself.
        if (container["securityContext"] is not JsonObject securityContext)
        {
            patch.Add($"{path}/securityContext", new JsonObject { ["capabilities"] = new JsonObject { ["add"] = new JsonArray("SYS_PTRACE") } });
            return;
        }
        if (securityContext["capabilities"] is not JsonObject capabilities)
        {
            patch.Add($"{path}/securityContext/capabilities", new JsonObject { ["add"] = new JsonArray("SYS_PTRACE") });
            return;
        }
        if (capabilities["add"] is JsonArray add && add.Any(c => c?.GetValue<string>() is "SYS_PTRACE" or "CAP_SYS_PTRACE"))
            return;
        AppendToArray(patch, capabilities, $"{path}/securityContext/capabilities", "add", [JsonValue.Create("SYS_PTRACE")]);
    }

    private static JsonObject InitContainer(InjectorOptions options) => new()
    {
        ["name"] = InitContainerName,
        ["image"] = options.EnforcerImage,
        ["imagePullPolicy"] = options.EnforcerImagePullPolicy,
        // The image is FROM scratch: the static binary copies itself and its default policy.
        ["command"] = new JsonArray(Binary, "install", InstallDir),
        ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = BinVolume, ["mountPath"] = InstallDir }),
        ["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = "10m", ["memory"] = "16Mi" },
            ["limits"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "32Mi" },
        },
        // Passes the `restricted` Pod Security Standard by itself.
        ["securityContext"] = new JsonObject
        {
            ["runAsNonRoot"] = true,
            ["runAsUser"] = 65532,
            ["allowPrivilegeEscalation"] = false,
            ["readOnlyRootFilesystem"] = true,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        },
    };

    private static List<JsonNode> Volumes(string? policyConfigMap)
    {
        var volumes = new List<JsonNode> { new JsonObject { ["name"] = BinVolume, ["emptyDir"] = new JsonObject() } };
        if (policyConfigMap is not null)
        {
            volumes.Add(new JsonObject
            {
                ["name"] = PolicyVolume,
                ["configMap"] = new JsonObject { ["name"] = policyConfigMap, ["items"] = new JsonArray(new JsonObject { ["key"] = PolicyKey, ["path"] = PolicyKey }) },
            });
        }
        return volumes;
    }

    private static List<JsonNode> Mounts(bool withPolicy)
    {
        var mounts = new List<JsonNode> { new JsonObject { ["name"] = BinVolume, ["mountPath"] = EnforcerDir, ["readOnly"] = true } };
        if (withPolicy)
            mounts.Add(new JsonObject { ["name"] = PolicyVolume, ["mountPath"] = PolicyDir, ["readOnly"] = true });
        return mounts;
    }

    /// <summary>Creates the array with the items when it is missing (or null), appends them with `/-` otherwise.</summary>
    private static void AppendToArray(JsonPatch patch, JsonObject parent, string parentPath, string key, List<JsonNode> items)
    {
        if (parent[key] is JsonArray)
        {
            foreach (JsonNode item in items)
                patch.Add($"{parentPath}/{JsonPatch.Escape(key)}/-", item);
        }
        else
        {
            // `add` on an existing member replaces it, which is what a `"key": null` needs.
            patch.Add($"{parentPath}/{JsonPatch.Escape(key)}", new JsonArray([.. items.Select(i => i.DeepClone())]));
        }
    }

    private static void AddToObject(JsonPatch patch, JsonObject parent, string parentPath, string key, string member, JsonNode? value)
    {
        if (parent[key] is JsonObject)
            patch.Add($"{parentPath}/{JsonPatch.Escape(key)}/{JsonPatch.Escape(member)}", value);
        else
            patch.Add($"{parentPath}/{JsonPatch.Escape(key)}", new JsonObject { [member] = value?.DeepClone() });
    }

    private static bool IsMissing(JsonNode? node) => node is null || (node is JsonArray a && a.Count == 0) || node.GetValueKind() == JsonValueKind.Null;

    private static JsonArray ToArray(IEnumerable<string> items) => new([.. items.Select(s => (JsonNode?)JsonValue.Create(s))]);
}
