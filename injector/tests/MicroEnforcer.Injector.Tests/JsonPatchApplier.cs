using System.Globalization;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Tests;

/// <summary>
/// A small RFC 6902 applier (add, replace, remove, test), written from the RFC and independent
/// of the injector, so a patch is checked by what it does to the pod. Strict where the API
/// server is: `add` needs the parent to exist, `replace` and `remove` need the target, an array
/// index must be in range (`-` appends), and `~1` / `~0` are unescaped in that order.
/// </summary>
internal static class JsonPatchApplier
{
    public static JsonObject Apply(JsonObject document, JsonArray patch)
    {
        JsonObject result = document.DeepClone().AsObject();
        foreach (JsonNode? operation in patch)
        {
            string op = operation!["op"]!.GetValue<string>();
            string path = operation["path"]!.GetValue<string>();
            JsonNode? value = operation["value"]?.DeepClone();
            var (parent, key) = Parent(result, path);
            switch (op)
            {
                case "add":
                    if (parent is JsonObject addObject)
                        addObject[key] = value;
                    else if (parent is JsonArray addArray)
                        addArray.Insert(key == "-" ? addArray.Count : Index(addArray, key, allowEnd: true), value);
                    else
                        throw new InvalidOperationException($"add {path}: the parent is not a container");
                    break;
                case "replace":
                    if (parent is JsonObject replaceObject && replaceObject.ContainsKey(key))
                        replaceObject[key] = value;
                    else if (parent is JsonArray replaceArray)
                        replaceArray[Index(replaceArray, key, allowEnd: false)] = value;
                    else
                        throw new InvalidOperationException($"replace {path}: no such member");
                    break;
                case "remove":
                    if (parent is JsonObject removeObject && removeObject.Remove(key)) { }
                    else if (parent is JsonArray removeArray)
                        removeArray.RemoveAt(Index(removeArray, key, allowEnd: false));
                    else
                        throw new InvalidOperationException($"remove {path}: no such member");
                    break;
                case "test":
                    JsonNode? actual = parent is JsonObject o ? o[key] : ((JsonArray)parent)[Index((JsonArray)parent, key, false)];
                    if (!JsonNode.DeepEquals(actual, value))
                        throw new InvalidOperationException($"test {path} failed");
                    break;
                default:
                    throw new InvalidOperationException($"unsupported op {op}");
            }
        }
        return result;
    }

    private static (JsonNode Parent, string Key) Parent(JsonObject root, string path)
    {
        if (!path.StartsWith('/'))
            throw new InvalidOperationException($"'{path}' is not a JSON pointer");
        string[] tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode node = root;
        foreach (string token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject o when o[token] is { } child => child,
                JsonArray a => a[Index(a, token, allowEnd: false)] ?? throw new InvalidOperationException($"{path}: null at {token}"),
                _ => throw new InvalidOperationException($"{path}: '{token}' does not exist"),
            };
        }
        return (node, tokens[^1]);
    }

    private static int Index(JsonArray array, string token, bool allowEnd)
    {
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index > array.Count || (!allowEnd && index == array.Count))
            throw new InvalidOperationException($"array index '{token}' out of range (count {array.Count})");
        return index;
    }
}
