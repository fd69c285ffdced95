using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>A node of a parsed policy document.</summary>
/// <remarks>
/// Every node keeps the 1-based line and column where it starts, so that validation, which runs
/// after parsing, can still point the user at the exact spot to fix.
/// </remarks>
internal abstract class YamlNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>A scalar. Its type is decided by the binder, not the parser.</summary>
internal sealed class YamlScalar(string value, bool isQuoted, int line, int column) : YamlNode(line, column)
{
    public string Value { get; } = value;

    /// <summary>
    /// Whether the scalar is a string whatever it reads as: quoted (<c>"true"</c> is text, <c>true</c>
    /// a boolean), a block scalar (<c>|</c> or <c>&gt;</c>), or tagged <c>!!str</c>.
    /// </summary>
    public bool IsQuoted { get; } = isQuoted;

    /// <summary>YAML's null: an absent value (<c>key:</c>), <c>~</c> or <c>null</c>, when not quoted.</summary>
    public bool IsNull => !IsQuoted && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed class YamlSequence(IReadOnlyList<YamlNode> items, int line, int column) : YamlNode(line, column)
{
    public IReadOnlyList<YamlNode> Items { get; } = items;
}

internal sealed class YamlMapping(IReadOnlyList<YamlMappingEntry> entries, int line, int column) : YamlNode(line, column)
{
    /// <summary>Entries in document order; keys are unique (the parser rejects duplicates).</summary>
    public IReadOnlyList<YamlMappingEntry> Entries { get; } = entries;

    public bool TryGetValue(string key, [NotNullWhen(true)] out YamlNode? value)
    {
        // Policy mappings hold a handful of keys: a linear scan beats building a dictionary.
        foreach (YamlMappingEntry entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }
}

internal sealed record YamlMappingEntry(YamlScalar Key, YamlNode Value);
