using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;

namespace MicroEnforcer.Injector.ImageControls;

/// <summary>What the image controls look at, read from a pod or an ECS task definition.</summary>
public sealed record Workload(IReadOnlyList<ImageUse> Images, IReadOnlyList<VolumeUse> Volumes)
{
    private static readonly string[] s_podContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    /// <summary>
    /// POD's images and volumes. With OLDPOD (an UPDATE: `kubectl set image`, `kubectl debug`),
    /// only containers whose image is new or changed, and no volumes (a pod's volumes cannot
    /// change). The injector's own init container (its name and the enforcer image) is not a
    /// workload image: it is the injector's configuration, and re-checking it would refuse an
    /// injected pod that is reviewed again.
    /// </summary>
    public static Workload FromPod(JsonObject pod, string enforcerImage, JsonObject? oldPod = null)
    {
        var spec = pod["spec"] as JsonObject;
        long? podUser = Integer(spec?["securityContext"]?["runAsUser"]);
        bool podNonRoot = IsTrue(spec?["securityContext"]?["runAsNonRoot"]);
        var images = new List<ImageUse>();
        foreach (string list in s_podContainerLists)
        {
            string kind = list.TrimEnd('s');
            var before = (oldPod?["spec"]?[list] as JsonArray)?.OfType<JsonObject>()
                .ToDictionary(c => Text(c["name"]) ?? "", c => Text(c["image"]), StringComparer.Ordinal);
            foreach (JsonObject container in (spec?[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                string name = Text(container["name"]) ?? "(unnamed)";
                string image = Text(container["image"]) ?? "";
                if (list == "initContainers" && name == PodPatchBuilder.InitContainerName && image == enforcerImage)
                    continue;
                if (before is not null && before.TryGetValue(name, out string? previous) && previous == image)
                    continue;
                long? user = Integer(container["securityContext"]?["runAsUser"]) ?? podUser;
                bool nonRoot = container["securityContext"]?["runAsNonRoot"] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? v.GetValueKind() == JsonValueKind.True
                    : podNonRoot;
                images.Add(new ImageUse(kind, name, image, user?.ToString(System.Globalization.CultureInfo.InvariantCulture), nonRoot));
            }
        }
        var volumes = new List<VolumeUse>();
        if (oldPod is null)
        {
            foreach (JsonObject volume in (spec?["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var types = volume.Select(p => p.Key).Where(k => k != "name").ToList();
                volumes.Add(new VolumeUse(Text(volume["name"]) ?? "(unnamed)", types, Text(volume["hostPath"]?["path"])));
            }
        }
        return new Workload(images, volumes);
    }

    /// <summary>
    /// A task definition's container images (the user from each container's `user`) and volumes:
    /// one with `host.sourcePath` is a bind mount of the host, type `hostPath`; others are typed by
    /// their key (`host` without a path is a Docker-managed volume, `efsVolumeConfiguration`, ...).
    /// The injector's own sidecar (its name and the enforcer image) is skipped.
    /// </summary>
    public static Workload FromTaskDefinition(JsonObject task, string enforcerImage)
    {
        var images = new List<ImageUse>();
        foreach (JsonObject container in (task["containerDefinitions"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            string name = Text(container["name"]) ?? "(unnamed)";
            string image = Text(container["image"]) ?? "";
            if (name == Fargate.TaskDefinitionInjector.SidecarName && image == enforcerImage)
                continue;
            images.Add(new ImageUse("container", name, image, Text(container["user"]), RunAsNonRoot: false));
        }
        var volumes = new List<VolumeUse>();
        foreach (JsonObject volume in (task["volumes"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            string? hostPath = Text(volume["host"]?["sourcePath"]);
            var types = hostPath is not null
                ? ["hostPath"]
                : volume.Select(p => p.Key).Where(k => k != "name").ToList();
            volumes.Add(new VolumeUse(Text(volume["name"]) ?? "(unnamed)", types, hostPath));
        }
        return new Workload(images, volumes);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static long? Integer(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long n) ? n : null;

    private static bool IsTrue(JsonNode? node) => node?.GetValueKind() == JsonValueKind.True;
}
