using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// RFC 6902 operations as the injector emits them: `add` (also with `/-` to append to an array)
/// and `replace`. Paths are RFC 6901 pointers; <see cref="Escape"/> turns a key such as
/// `microenforcer.io/injected` into `microenforcer.io~1injected`.
/// </summary>
internal sealed class JsonPatch
{
    private readonly JsonArray _operations = [];

    public int Count => _operations.Count;

    public JsonPatch Add(string path, JsonNode? value) => Op("add", path, value);

    public JsonPatch Replace(string path, JsonNode? value) => Op("replace", path, value);

    /// <summary>The patch as the JSON array the API server expects.</summary>
    public JsonArray ToJson() => (JsonArray)_operations.DeepClone();

    public override string ToString() => _operations.ToJsonString();

    /// <summary>RFC 6901: `~` becomes `~0` first, then `/` becomes `~1`.</summary>
    public static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private JsonPatch Op(string op, string path, JsonNode? value)
    {
        _operations.Add(new JsonObject
        {
            ["op"] = op,
            ["path"] = path,
            ["value"] = value?.DeepClone(),
        });
        return this;
    }
}
