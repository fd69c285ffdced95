using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Kubernetes;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Admission;

/// <summary>A request that is not an AdmissionReview v1 the injector can answer (HTTP 400 with the message).</summary>
internal sealed class MalformedReviewException(string message) : Exception(message);

/// <summary>
/// One AdmissionReview in, one out: pods CREATE (the image controls, then inject or not), pods
/// and pods/ephemeralcontainers UPDATE (the image controls on new images), pods/exec CONNECT
/// (wrap the command), anything else allowed untouched with a warning. Whatever goes wrong with a pod the
/// injector cannot inject (its images cannot be resolved, the API server cannot be read) admits it
/// unmodified with a warning, unless configured or annotated to deny.
/// </summary>
internal sealed partial class AdmissionHandler(ImageConfigResolver resolver, IKubernetesApi kubernetes, InjectorOptions options, ILogger<AdmissionHandler> logger)
{
    public const string ApiVersion = "admission.k8s.io/v1";

    private readonly PodImageGate _imageGate = new(resolver, options, logger);

    /// <param name="namespaceEnabled">The request came through the webhook whose namespaceSelector matches opted-in namespaces.</param>
    public async Task<JsonObject> HandleAsync(JsonNode? body, bool namespaceEnabled, CancellationToken cancel)
    {
        if (body is not JsonObject review)
            throw new MalformedReviewException("the body is not a JSON object");
        ReviewShape.Check(review);
        if (Text(review["apiVersion"]) != ApiVersion || Text(review["kind"]) != "AdmissionReview")
            throw new MalformedReviewException($"expected apiVersion {ApiVersion} and kind AdmissionReview, got '{Text(review["apiVersion"])}' '{Text(review["kind"])}'");
        if (review["request"] is not JsonObject request)
            throw new MalformedReviewException("the AdmissionReview has no request");
        string uid = Text(request["uid"]) is { Length: > 0 } u ? u : throw new MalformedReviewException("the request has no uid");

        string resource = Text(request["resource"]?["resource"]) ?? "";
        string group = Text(request["resource"]?["group"]) ?? "";
        string subResource = Text(request["subResource"]) ?? "";
        string operation = Text(request["operation"]) ?? "";
        string ns = Text(request["namespace"]) ?? "";
        string name = Text(request["name"]) ?? Text(request["object"]?["metadata"]?["generateName"]) ?? "";

        if (group == "" && resource == "pods" && subResource == "" && operation == "CREATE")
            return await PodCreateAsync(uid, request, ns, name, namespaceEnabled, cancel).ConfigureAwait(false);
        if (group == "" && resource == "pods" && subResource == "exec" && operation == "CONNECT")
            return await PodExecAsync(uid, request, ns, name, cancel).ConfigureAwait(false);
        if (group == "" && resource == "pods" && subResource is ("" or "ephemeralcontainers") && operation == "UPDATE")
            return await PodUpdateAsync(uid, request, ns, name, cancel).ConfigureAwait(false);

        string what = $"{operation} {group}/{resource}" + (subResource == "" ? "" : $"/{subResource}");
        LogUnexpected(logger, uid, what);
        return Allowed(uid, null, [$"microenforcer-injector does not handle {what}; admitted unchanged (check the webhook's rules)"]);
    }

    private async Task<JsonObject> PodCreateAsync(string uid, JsonObject request, string ns, string name, bool namespaceEnabled, CancellationToken cancel)
    {
        if (request["object"] is not JsonObject pod || pod["spec"] is not JsonObject)
            throw new MalformedReviewException("a pods CREATE request needs the pod, with a spec, in request.object");
        // The image controls see every pod the webhook is sent, injected or not.
        var (verdict, lookups) = await _imageGate.CheckAsync(uid, pod, null, ns, name, cancel).ConfigureAwait(false);
        if (verdict.Refused)
            return Denied(uid, verdict.RefusalMessage, verdict.Warnings);
        var decision = InjectionDecision.For(pod, namespaceEnabled);
        LogDecision(logger, uid, ns, name, decision.Inject, decision.Reason);
        if (!decision.Inject)
            return Allowed(uid, null, verdict.Warnings);

        IReadOnlyDictionary<int, ImageConfig> configs;
        try
        {
            configs = await resolver.ResolveAsync(pod, ns, [.. PodPatchBuilder.ContainersNeedingImageConfig(pod)], cancel, lookups).ConfigureAwait(false);
        }
        catch (ImageResolutionException e)
        {
            bool deny = options.DenyOnResolveFailure || Text(pod["metadata"]?["annotations"]?[Annotations.ResolveFailure]) == "deny";
            LogResolveFailed(logger, e, uid, ns, name, deny, e.Message);
            string message = $"microenforcer: cannot inject the enforcer: {e.Message}";
            return deny ? Denied(uid, message, verdict.Warnings) : Allowed(uid, null, [.. verdict.Warnings, message + "; the pod is admitted WITHOUT enforcement"]);
        }
        JsonPatch patch = PodPatchBuilder.Build(pod, options, configs);
        LogInjected(logger, uid, ns, name, patch.Count);
        return Allowed(uid, patch, verdict.Warnings);
    }

    /// <summary>A pod's containers given new images (`kubectl set image`, `kubectl debug`'s ephemeral
    /// container): checked by the image controls; nothing is injected on an update.</summary>
    private async Task<JsonObject> PodUpdateAsync(string uid, JsonObject request, string ns, string name, CancellationToken cancel)
    {
        if (request["object"] is not JsonObject pod || pod["spec"] is not JsonObject)
            throw new MalformedReviewException("a pods UPDATE request needs the pod, with a spec, in request.object");
        var (verdict, _) = await _imageGate.CheckAsync(uid, pod, request["oldObject"] as JsonObject ?? [], ns, name, cancel).ConfigureAwait(false);
        return verdict.Refused ? Denied(uid, verdict.RefusalMessage, verdict.Warnings) : Allowed(uid, null, verdict.Warnings);
    }

    private async Task<JsonObject> PodExecAsync(string uid, JsonObject request, string ns, string podName, CancellationToken cancel)
    {
        if (request["object"] is not JsonObject execOptions)
            throw new MalformedReviewException("a pods/exec CONNECT request needs the PodExecOptions in request.object");
        JsonObject? pod;
        try
        {
            pod = await kubernetes.GetPodAsync(ns, podName, cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException or JsonException or TaskCanceledException)
        {
            // The enforcer's PID 1 still finds and seizes the session through /proc: not wrapping
            // it costs the few milliseconds before it is seen, so admit rather than block kubectl exec.
            LogExecLookupFailed(logger, e, uid, ns, podName, e.Message);
            return Allowed(uid, null, [$"microenforcer: could not read pod {ns}/{podName} ({e.Message}); the exec command is not wrapped"]);
        }
        string? container = Text(execOptions["container"]);
        if (pod is null || !ExecPatch.TargetsEnforcedContainer(pod, container))
            return Allowed(uid, null, []);
        JsonPatch? patch = ExecPatch.Build(execOptions);
        LogExecWrapped(logger, uid, ns, podName, container ?? "", patch is not null);
        return Allowed(uid, patch, []);
    }

    internal static JsonObject Allowed(string uid, JsonPatch? patch, IReadOnlyList<string> warnings)
    {
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = true };
        if (patch is { Count: > 0 })
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToString()));
        }
        if (warnings.Count > 0)
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)JsonValue.Create(w))]);
        return Review(response);
    }

    internal static JsonObject Denied(string uid, string message, IReadOnlyList<string>? warnings = null)
    {
        var response = new JsonObject
        {
            ["uid"] = uid,
            ["allowed"] = false,
            ["status"] = new JsonObject { ["code"] = 403, ["reason"] = "Forbidden", ["message"] = message },
        };
        if (warnings is { Count: > 0 })
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)JsonValue.Create(w))]);
        return Review(response);
    }

    private static JsonObject Review(JsonObject response) => new()
    {
        ["apiVersion"] = ApiVersion,
        ["kind"] = "AdmissionReview",
        ["response"] = response,
    };

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
