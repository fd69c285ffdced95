using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.Fargate;

/// <summary>
/// An ECS task definition rewritten to run every container under the enforcer, with no image
/// change: a non-essential sidecar from the enforcer image whose `/.microenforcer` VOLUME
/// (Dockerfile.micro) the app containers mount with `volumesFrom`; `dependsOn` it exiting 0
/// (it runs `version`, which also proves the binary runs on the task's platform); the entry
/// point prefixed with `/.microenforcer/microenforcer run --`; `SYS_PTRACE` added; and the audit
/// sink and identity variables the container does not set itself. Pure: image configs for
/// containers without an `entryPoint` are resolved beforehand and passed in.
/// </summary>
internal static class TaskDefinitionInjector
{
    public const string SidecarName = "microenforcer";

    /// <summary>Fields `describe-task-definition` returns that `register-task-definition` refuses.</summary>
    private static readonly string[] s_readOnlyFields =
        ["taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities", "registeredAt", "registeredBy", "deregisteredAt"];

    /// <summary>The task definition itself: a `describe-task-definition` output is unwrapped and stripped of its read-only fields.</summary>
    public static JsonObject Unwrap(JsonObject document)
    {
        JsonObject task = (document["taskDefinition"] as JsonObject ?? document).DeepClone().AsObject();
        foreach (string field in s_readOnlyFields)
            task.Remove(field);
        if (task["containerDefinitions"] is not JsonArray { Count: > 0 })
            throw new FormatException("the task definition has no containerDefinitions");
        return task;
    }

    public static bool IsInjected(JsonObject task) =>
        ((JsonArray)task["containerDefinitions"]!).Any(c => c?["name"]?.GetValue<string>() == SidecarName);

    /// <summary>Indexes of the containers whose image ENTRYPOINT (and maybe CMD) must be resolved.</summary>
    public static IEnumerable<int> ContainersNeedingImageConfig(JsonObject task) =>
        ((JsonArray)task["containerDefinitions"]!).Select((c, i) => (c, i)).Where(x => IsMissing(x.c?["entryPoint"])).Select(x => x.i);

    /// <summary>The platform to pick from an image index: the task's runtimePlatform, else linux/amd64 (Fargate's default).</summary>
    public static Platform PlatformOf(JsonObject task)
    {
        string? cpu = task["runtimePlatform"]?["cpuArchitecture"]?.GetValue<string>();
        string? os = task["runtimePlatform"]?["operatingSystemFamily"]?.GetValue<string>();
        if (os is not null && os != "LINUX")
            throw new FormatException($"operatingSystemFamily {os}: the enforcer runs on Linux only");
        return new Platform("linux", cpu == "ARM64" ? "arm64" : "amd64");
    }

    /// <param name="audit">Audit sinks set as MICROENFORCER_AUDIT_* variables (null: none).</param>
    public static JsonObject Inject(JsonObject task, string enforcerImage, string? policyPath, IReadOnlyDictionary<int, ImageConfig> imageConfigs, AuditSinkOptions? audit = null)
    {
        if (IsInjected(task))
            return task.DeepClone().AsObject();
        JsonObject result = task.DeepClone().AsObject();
        var containers = (JsonArray)result["containerDefinitions"]!;
        for (int i = 0; i < containers.Count; i++)
        {
            var container = (JsonObject)containers[i]!;
            RewriteEntryPoint(container, policyPath, imageConfigs.GetValueOrDefault(i));
            Append(container, "volumesFrom", new JsonObject { ["sourceContainer"] = SidecarName, ["readOnly"] = true });
            Append(container, "dependsOn", new JsonObject { ["containerName"] = SidecarName, ["condition"] = "SUCCESS" });
            AddPtrace(container);
            AddEnvironment(container, audit ?? new AuditSinkOptions());
        }
        containers.Insert(0, new JsonObject
        {
            ["name"] = SidecarName,
            ["image"] = enforcerImage,
            ["essential"] = false,
            // The image's entrypoint is the launcher: `version` prints it and exits 0.
            ["command"] = new JsonArray("version"),
        });
        return result;
    }

    private static void RewriteEntryPoint(JsonObject container, string? policyPath, ImageConfig? image)
    {
        var entryPoint = policyPath is null
            ? new List<string>(PodPatchBuilder.RunPrefix(withPolicy: false))
            : [PodPatchBuilder.Binary, "run", "--policy", policyPath, "--"];
        if (!IsMissing(container["entryPoint"]))
        {
            // Docker ignores the image's CMD once the entry point is set; ECS `command` stays as it was.
            entryPoint.AddRange(container["entryPoint"]!.AsArray().Select(a => a!.GetValue<string>()));
        }
        else
        {
            if (image is null)
                throw new InvalidOperationException($"container {container["name"]} has no entryPoint and its image config was not resolved");
            entryPoint.AddRange(image.Entrypoint ?? []);
            // Setting the entry point makes Docker drop the image's CMD: carry it over as `command`.
            if (IsMissing(container["command"]) && image.Cmd is { Count: > 0 } cmd)
                container["command"] = new JsonArray([.. cmd.Select(c => (JsonNode?)JsonValue.Create(c))]);
            if (entryPoint.Count == PodPatchBuilder.RunPrefix(false).Count + (policyPath is null ? 0 : 2) && IsMissing(container["command"]))
                throw new ImageResolutionException($"container {container["name"]}: {container["image"]} has neither ENTRYPOINT nor CMD, and the container gives no command");
        }
        container["entryPoint"] = new JsonArray([.. entryPoint.Select(e => (JsonNode?)JsonValue.Create(e))]);
    }

    /// <summary>
    /// The audit sinks, the container's name and its image (EnforcerEnvironment), unless the
    /// container sets the variable itself (`environment` or `secrets`). The task and its ARN come
    /// from the ECS metadata endpoint, which the enforcer reads itself.
    /// </summary>
    private static void AddEnvironment(JsonObject container, AuditSinkOptions audit)
    {
        var present = (container["environment"] as JsonArray ?? []).Concat(container["secrets"] as JsonArray ?? [])
            .Select(e => e?["name"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
        List<KeyValuePair<string, string>> variables = EnforcerEnvironment.AuditSinks(audit);
        if (container["name"]?.GetValue<string>() is { } name)
            variables.Add(new(EnforcerEnvironment.ContainerName, name));
        if (container["image"]?.GetValue<string>() is { } image)
            variables.Add(new(EnforcerEnvironment.Image, image));
        foreach (var (key, value) in variables)
        {
            // ECS does not expand $(VAR): values are written as they are.
            if (present.Add(key))
                Append(container, "environment", new JsonObject { ["name"] = key, ["value"] = value });
        }
    }

    private static void AddPtrace(JsonObject container)
    {
        var linux = container["linuxParameters"] as JsonObject ?? new JsonObject();
        container["linuxParameters"] = linux;
        var capabilities = linux["capabilities"] as JsonObject ?? new JsonObject();
        linux["capabilities"] = capabilities;
        if (capabilities["add"] is JsonArray add && add.Any(c => c?.GetValue<string>() is "SYS_PTRACE" or "CAP_SYS_PTRACE"))
            return;
        Append(capabilities, "add", JsonValue.Create("SYS_PTRACE"));
    }

    private static void Append(JsonObject parent, string key, JsonNode item)
    {
        if (parent[key] is not JsonArray array)
            parent[key] = array = [];
        array.Add(item);
    }

    private static bool IsMissing(JsonNode? node) => node is null || (node is JsonArray a && a.Count == 0) || node.GetValueKind() == JsonValueKind.Null;
}
