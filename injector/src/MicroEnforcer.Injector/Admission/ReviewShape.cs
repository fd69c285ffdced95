using System.Text.Json;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// The JSON types of every field the webhook reads, checked once before anything reads them, so
/// that a body of the wrong shape is refused up front (400, the field named) instead of failing
/// half-way with System.Text.Json's "the node must be of type ..." or, worse, being read as if
/// the field were absent. The API server only sends well-formed reviews: anything else is not
/// one. `null` is taken as absent for optional fields, as Kubernetes' own decoder does. Kept in
/// step with AdmissionHandler, PodPatchBuilder, InjectionDecision and ImageConfigResolver: a
/// field they start reading is added here.
/// </summary>
internal static class ReviewShape
{
    /// <summary>Throws MalformedReviewException naming the first field of the wrong type.</summary>
    public static void Check(JsonObject review)
    {
        try
        {
            // Every string and name must decode: escaped lone surrogates or invalid UTF-8 would
            // otherwise throw wherever a value is first read (or when the patch is written).
            Decodable(review);
        }
        catch (InvalidOperationException e)
        {
            // Only text decoding can throw here ("cannot transcode invalid UTF-8", "missing low surrogate").
            throw new MalformedReviewException($"the body is not valid text: {e.Message}");
        }
        if (review["apiVersion"] is { } apiVersion)
            String(apiVersion, "apiVersion");
        if (review["kind"] is { } kind)
            String(kind, "kind");
        if (review["request"] is null)
            return; // AdmissionHandler says "has no request"
        JsonObject request = Object(review["request"], "request")!;
        String(request["uid"], "request.uid");
        if (Object(request["kind"], "request.kind") is { } gvk)
            Strings(gvk, "request.kind", "group", "version", "kind");
        JsonObject? resource = Object(request["resource"], "request.resource");
        if (resource is not null)
            Strings(resource, "request.resource", "group", "version", "resource");
        Strings(request, "request", "subResource", "operation", "namespace", "name");
        // request.object.metadata.generateName names the request in the logs, whatever its resource.
        JsonObject? obj = Object(request["object"], "request.object");
        if (obj is not null && Object(obj["metadata"], "request.object.metadata") is { } metadata)
            Metadata(metadata, "request.object.metadata");

        string? Text(JsonObject? o, string key) => o?[key]?.GetValueKind() == JsonValueKind.String ? o[key]!.GetValue<string>() : null;
        if (Text(resource, "group") is null or "" && Text(resource, "resource") == "pods" && obj is not null)
        {
            string subResource = Text(request, "subResource") ?? "";
            string operation = Text(request, "operation") ?? "";
            if (subResource == "" && operation == "CREATE")
                PodSpec(obj["spec"], "request.object.spec");
            else if (subResource is "" or "ephemeralcontainers" && operation == "UPDATE")
            {
                // The image controls compare the pod with the one it replaces.
                PodSpec(obj["spec"], "request.object.spec");
                if (Object(request["oldObject"], "request.oldObject") is { } old)
                    PodSpec(old["spec"], "request.oldObject.spec");
            }
            else if (subResource == "exec" && operation == "CONNECT")
            {
                String(obj["container"], "request.object.container");
                StringArray(obj["command"], "request.object.command");
            }
        }
    }

    private static void Metadata(JsonObject metadata, string path)
    {
        Strings(metadata, path, "name", "generateName", "namespace");
        // Annotations are map[string]string in Kubernetes: every value is a string.
        StringMap(metadata["annotations"], path + ".annotations");
    }

    private static void PodSpec(JsonNode? node, string path)
    {
        if (Object(node, path) is not { } spec)
            return; // AdmissionHandler says "needs the pod, with a spec"
        foreach (string list in (string[])["containers", "initContainers", "ephemeralContainers"])
        {
            foreach (var (container, at) in Objects(spec[list], $"{path}.{list}"))
                Container(container, at);
        }
        RunAs(spec["securityContext"], path + ".securityContext");
        foreach (var (volume, at) in Objects(spec["volumes"], path + ".volumes"))
        {
            String(volume["name"], at + ".name");
            // Volumes Blocked reads the source of each volume: its key, and a hostPath's path.
            foreach (var (key, source) in volume)
            {
                if (key != "name" && !IsAbsent(source))
                    Object(source, $"{at}.{key}");
            }
            if (Object(volume["hostPath"], at + ".hostPath") is { } hostPath)
                String(hostPath["path"], at + ".hostPath.path");
        }
        foreach (var (secret, at) in Objects(spec["imagePullSecrets"], path + ".imagePullSecrets"))
            String(secret["name"], at + ".name");
        StringMap(spec["nodeSelector"], path + ".nodeSelector");
        Bool(spec["hostPID"], path + ".hostPID");
    }

    private static void Container(JsonObject container, string path)
    {
        Strings(container, path, "name", "image");
        StringArray(container["command"], path + ".command");
        StringArray(container["args"], path + ".args");
        foreach (var (env, at) in Objects(container["env"], path + ".env"))
            String(env["name"], at + ".name");
        foreach (var (mount, at) in Objects(container["volumeMounts"], path + ".volumeMounts"))
            Strings(mount, at, "name", "mountPath");
        RunAs(container["securityContext"], path + ".securityContext");
        if (Object(container["securityContext"], path + ".securityContext") is { } securityContext
            && Object(securityContext["capabilities"], path + ".securityContext.capabilities") is { } capabilities)
        {
            StringArray(capabilities["add"], path + ".securityContext.capabilities.add");
            StringArray(capabilities["drop"], path + ".securityContext.capabilities.drop");
        }
    }

    /// <summary>The user a pod or container runs as (Block Non-compliant Images' root rule).</summary>
    private static void RunAs(JsonNode? node, string path)
    {
        if (Object(node, path) is not { } securityContext)
            return;
        if (!IsAbsent(securityContext["runAsUser"]) && securityContext["runAsUser"]!.GetValueKind() != JsonValueKind.Number)
            throw Wrong(path + ".runAsUser", "an integer", securityContext["runAsUser"]);
        Bool(securityContext["runAsNonRoot"], path + ".runAsNonRoot");
    }

    private static JsonObject? Object(JsonNode? node, string path) => IsAbsent(node) ? null : node as JsonObject ?? throw Wrong(path, "an object", node);

    private static IEnumerable<(JsonObject Item, string Path)> Objects(JsonNode? node, string path)
    {
        if (IsAbsent(node))
            return [];
        var array = node as JsonArray ?? throw Wrong(path, "an array", node);
        // Materialised first so that a wrong element is reported before anything reads the others.
        return [.. array.Select((item, i) => (item as JsonObject ?? throw Wrong($"{path}[{i}]", "an object", item), $"{path}[{i}]"))];
    }

    private static void StringArray(JsonNode? node, string path)
    {
        if (IsAbsent(node))
            return;
        var array = node as JsonArray ?? throw Wrong(path, "an array of strings", node);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i]?.GetValueKind() != JsonValueKind.String)
                throw Wrong($"{path}[{i}]", "a string", array[i]);
        }
    }

    private static void StringMap(JsonNode? node, string path)
    {
        if (IsAbsent(node))
            return;
        var map = node as JsonObject ?? throw Wrong(path, "an object of strings", node);
        foreach (var (key, value) in map)
        {
            if (value?.GetValueKind() != JsonValueKind.String)
                throw Wrong($"{path}[\"{key}\"]", "a string", value);
        }
    }

    private static void Strings(JsonObject parent, string path, params string[] keys)
    {
        foreach (string key in keys)
            String(parent[key], $"{path}.{key}");
    }

    private static void String(JsonNode? node, string path)
    {
        if (!IsAbsent(node) && node!.GetValueKind() != JsonValueKind.String)
            throw Wrong(path, "a string", node);
    }

    private static void Bool(JsonNode? node, string path)
    {
        if (!IsAbsent(node) && node!.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            throw Wrong(path, "true or false", node);
    }

    /// <summary>Forces every string (and property name) of the tree to decode; the parser's depth limit bounds the recursion.</summary>
    private static void Decodable(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                    Decodable(value);
                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                    Decodable(item);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                v.GetValue<string>();
                break;
        }
    }

    private static bool IsAbsent(JsonNode? node) => node is null || node.GetValueKind() == JsonValueKind.Null;

    private static MalformedReviewException Wrong(string path, string expected, JsonNode? got) =>
        new($"{path}: expected {expected}, got {Describe(got)}");

    private static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };
}
