using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Admission;
using Xunit;

namespace MicroEnforcer.Injector.Tests;

/// <summary>
/// What an injected pod must look like, checked on the result of applying the patch: each app
/// container runs `microenforcer run [--policy P] --` followed by exactly what it ran before
/// (Kubernetes' command/args/ENTRYPOINT/CMD rules), has the enforcer mounted read-only and
/// SYS_PTRACE; and nothing else changed (removing what was injected gives back the original).
/// </summary>
internal static class PodInvariants
{
    public static void AssertInjected(JsonObject original, JsonObject patched, Func<string, (List<string>? Entrypoint, List<string>? Cmd)> image)
    {
        string? policy = original["metadata"]?["annotations"]?[Annotations.Policy]?.GetValue<string>();
        List<string> prefix = PodPatchBuilder.RunPrefix(policy is not null);
        Assert.NotNull(patched["metadata"]?["annotations"]?[Annotations.Injected]);

        var inits = patched["spec"]!["initContainers"]!.AsArray();
        Assert.Single(inits, c => c!["name"]!.GetValue<string>() == PodPatchBuilder.InitContainerName);
        Assert.Equal(PodPatchBuilder.InitContainerName, inits[^1]!["name"]!.GetValue<string>()); // after the pod's own
        var volumes = patched["spec"]!["volumes"]!.AsArray();
        Assert.Single(volumes, v => v!["name"]!.GetValue<string>() == PodPatchBuilder.BinVolume && v["emptyDir"] is JsonObject);
        if (policy is not null)
            Assert.Single(volumes, v => v!["configMap"]?["name"]?.GetValue<string>() == policy);

        var before = original["spec"]!["containers"]!.AsArray();
        var after = patched["spec"]!["containers"]!.AsArray();
        Assert.Equal(before.Count, after.Count);
        for (int i = 0; i < before.Count; i++)
        {
            List<string> was = EffectiveCommand(before[i]!.AsObject(), image);
            List<string> now = EffectiveCommand(after[i]!.AsObject(), image);
            Assert.Equal([.. prefix, .. was], now);
            Assert.Contains(after[i]!["volumeMounts"]!.AsArray(), m => m!["mountPath"]!.GetValue<string>() == PodPatchBuilder.EnforcerDir && m["readOnly"]!.GetValue<bool>());
            Assert.Single(after[i]!["securityContext"]!["capabilities"]!["add"]!.AsArray(), c => c!.GetValue<string>() is "SYS_PTRACE" or "CAP_SYS_PTRACE");
            AssertIdentity(before[i]!.AsObject(), after[i]!.AsObject());
        }
        Assert.True(JsonNode.DeepEquals(original, Uninject(original, patched)), $"the patch changed more than the injection:\n{Uninject(original, patched).ToJsonString()}\nvs\n{original.ToJsonString()}");
    }

    /// <summary>Each identity variable exactly once; the injector's value unless the container set its own.</summary>
    private static void AssertIdentity(JsonObject before, JsonObject after)
    {
        var was = (before["env"] as JsonArray ?? []).ToDictionary(e => e!["name"]!.GetValue<string>(), e => e);
        var env = after["env"]!.AsArray();
        foreach (string name in (string[])[EnforcerEnvironment.PodName, EnforcerEnvironment.PodNamespace, EnforcerEnvironment.ContainerName, EnforcerEnvironment.Image])
            Assert.Single(env, e => e!["name"]!.GetValue<string>() == name);
        JsonNode Of(string name) => env.Single(e => e!["name"]!.GetValue<string>() == name)!;
        (string Name, JsonNode Expected)[] injected =
        [
            (EnforcerEnvironment.PodName, JsonNode.Parse("""{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}""")!),
            (EnforcerEnvironment.PodNamespace, JsonNode.Parse("""{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}""")!),
            (EnforcerEnvironment.ContainerName, JsonValue.Create(PodPatchBuilder.EscapeForKubelet(before["name"]!.GetValue<string>()))),
            (EnforcerEnvironment.Image, JsonValue.Create(PodPatchBuilder.EscapeForKubelet(before["image"]!.GetValue<string>()))),
        ];
        foreach (var (name, expected) in injected)
        {
            if (was.TryGetValue(name, out JsonNode? own))
                Assert.True(JsonNode.DeepEquals(own, Of(name)), $"{name} the container set was overwritten");
            else
                Assert.True(JsonNode.DeepEquals(expected, Of(name)["valueFrom"] ?? Of(name)["value"]), $"{name}: {Of(name).ToJsonString()}");
        }
    }

    /// <summary>What the container runtime runs, by Kubernetes' rules: command ignores the image's CMD; args replace it.</summary>
    public static List<string> EffectiveCommand(JsonObject container, Func<string, (List<string>? Entrypoint, List<string>? Cmd)> image)
    {
        // The kubelet expands $(VAR) and $$ in the pod's command and args, not in the image's.
        var env = (container["env"] as JsonArray)?.Where(e => e?["value"] is not null)
            .ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.GetValue<string>()) ?? [];
        List<string>? command = Strings(container["command"])?.Select(c => KubeletExpand(c, env)).ToList();
        List<string>? args = Strings(container["args"])?.Select(a => KubeletExpand(a, env)).ToList();
        if (command is { Count: > 0 })
            return [.. command, .. args ?? []];
        var (entrypoint, cmd) = image(container["image"]!.GetValue<string>());
        return [.. entrypoint ?? [], .. (args is { Count: > 0 } ? args : cmd) ?? []];
    }

    /// <summary>The kubelet's expansion of a command or args string (k8s third_party/forked/golang/expansion):
    /// `$$` is `$`, `$(NAME)` is NAME's value when defined and stays as written otherwise.</summary>
    public static string KubeletExpand(string input, IReadOnlyDictionary<string, string> env)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                sb.Append(input[i]);
                continue;
            }
            char next = input[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i++;
            }
            else if (next == '(' && input.IndexOf(')', i + 2) is int close and >= 0)
            {
                string name = input[(i + 2)..close];
                sb.Append(env.TryGetValue(name, out string? value) ? value : $"$({name})");
                i = close;
            }
            else
            {
                sb.Append('$');
            }
        }
        return sb.ToString();
    }

    /// <summary>The patched pod with the injection taken out again, objects and arrays the original did not have pruned.</summary>
    public static JsonObject Uninject(JsonObject original, JsonObject patched)
    {
        JsonObject pod = patched.DeepClone().AsObject();
        string? policy = original["metadata"]?["annotations"]?[Annotations.Policy]?.GetValue<string>();
        int prefixLength = PodPatchBuilder.RunPrefix(policy is not null).Count;
        pod["metadata"]!["annotations"]!.AsObject().Remove(Annotations.Injected);
        RemoveWhere(pod["spec"]!["initContainers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == PodPatchBuilder.InitContainerName);
        RemoveWhere(pod["spec"]!["volumes"]!.AsArray(), v => v!["name"]!.GetValue<string>() is PodPatchBuilder.BinVolume or PodPatchBuilder.PolicyVolume);
        var containers = pod["spec"]!["containers"]!.AsArray();
        for (int i = 0; i < containers.Count; i++)
        {
            var c = containers[i]!.AsObject();
            var o = original["spec"]!["containers"]![i]!.AsObject();
            RemoveWhere(c["volumeMounts"]!.AsArray(), m => m!["name"]!.GetValue<string>() is PodPatchBuilder.BinVolume or PodPatchBuilder.PolicyVolume);
            var ownEnv = (o["env"] as JsonArray ?? []).Select(e => e!["name"]!.GetValue<string>()).ToHashSet();
            RemoveWhere(c["env"]!.AsArray(), e => EnforcerEnvironment.Names.Contains(e!["name"]!.GetValue<string>()) && !ownEnv.Contains(e["name"]!.GetValue<string>()));
            if (o.ContainsKey("env") && o["env"] is null && c["env"]!.AsArray().Count == 0)
                c["env"] = null; // `"env": null` was replaced by the array
            bool hadPtrace = o["securityContext"]?["capabilities"]?["add"] is JsonArray oa && oa.Any(x => x!.GetValue<string>() is "SYS_PTRACE" or "CAP_SYS_PTRACE");
            if (!hadPtrace)
                RemoveWhere(c["securityContext"]!["capabilities"]!["add"]!.AsArray(), x => x!.GetValue<string>() == "SYS_PTRACE");
            var command = c["command"]!.AsArray();
            for (int k = 0; k < prefixLength; k++)
                command.RemoveAt(0);
            if (o["command"] is null)
            {
                c.Remove("command");
                if (o["args"] is null)
                    c.Remove("args");
            }
        }
        Prune(pod, original);
        return pod;
    }

    private static void RemoveWhere(JsonArray array, Func<JsonNode?, bool> predicate)
    {
        for (int i = array.Count - 1; i >= 0; i--)
        {
            if (predicate(array[i]))
                array.RemoveAt(i);
        }
    }

    /// <summary>Removes empty objects and arrays that are absent from the original at the same place.</summary>
    private static void Prune(JsonNode node, JsonNode? original)
    {
        if (node is JsonObject o)
        {
            foreach (string key in o.Select(p => p.Key).ToList())
            {
                JsonNode? child = o[key];
                JsonNode? originalChild = original is JsonObject oo ? oo[key] : null;
                if (child is not null)
                    Prune(child, originalChild);
                bool empty = child is JsonObject { Count: 0 } || child is JsonArray { Count: 0 };
                if (empty && (original is not JsonObject parent || !parent.ContainsKey(key)))
                    o.Remove(key);
            }
        }
        else if (node is JsonArray a)
        {
            for (int i = 0; i < a.Count; i++)
            {
                if (a[i] is { } child)
                    Prune(child, original is JsonArray oa && i < oa.Count ? oa[i] : null);
            }
        }
    }

    private static List<string>? Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : null;
}
