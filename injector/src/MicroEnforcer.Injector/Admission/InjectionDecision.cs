using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// Whether a pod is injected, and why: a pure function of the pod and of how the request got
/// here (the namespace-label webhook or the cluster-wide annotation one), kept apart from
/// building the patch so each can be read and tested alone.
/// </summary>
internal sealed record InjectionDecision(bool Inject, string Reason)
{
    public static InjectionDecision For(JsonObject pod, bool namespaceEnabled)
    {
        var annotations = pod["metadata"]?["annotations"] as JsonObject;
        if (annotations?[Annotations.Injected] is not null)
            return new(false, $"already injected (annotation {Annotations.Injected})");
        if (pod["spec"]?["initContainers"] is JsonArray inits && inits.Any(c => c?["name"]?.GetValue<string>() == PodPatchBuilder.InitContainerName))
            return new(false, $"already injected (init container {PodPatchBuilder.InitContainerName})");
        if (pod["spec"]?["containers"] is not JsonArray { Count: > 0 })
            return new(false, "the pod has no containers");
        if (pod["spec"]?["hostPID"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)
            return new(false, "hostPID pods are not injected: the enforcer is meant to be PID 1 of a private pid namespace");

        string? value = annotations?[Annotations.Inject]?.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? annotations[Annotations.Inject]!.GetValue<string>()
            : null;
        return value switch
        {
            Annotations.Disabled => new(false, $"opted out ({Annotations.Inject}: {Annotations.Disabled})"),
            Annotations.Enabled => new(true, $"opted in ({Annotations.Inject}: {Annotations.Enabled})"),
            _ when namespaceEnabled => new(true, $"namespace label {Annotations.Inject}={Annotations.Enabled}"),
            null => new(false, $"not opted in (no {Annotations.Inject} annotation, namespace not labelled)"),
            _ => new(false, $"unknown {Annotations.Inject} value '{value}' (expected {Annotations.Enabled} or {Annotations.Disabled})"),
        };
    }
}
