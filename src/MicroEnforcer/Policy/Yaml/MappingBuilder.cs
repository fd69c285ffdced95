using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy.Yaml;

/// <summary>
/// Collects the entries of one mapping: refuses a key given twice, and applies merge keys
/// (<c>&lt;&lt;: *defaults</c>) when the mapping ends.
/// </summary>
/// <remarks>
/// Merge keys follow the YAML merge-key type (yaml.org/type/merge.html): the merged mappings' entries
/// join this one where the <c>&lt;&lt;</c> stands, a key written in this mapping wins over a merged
/// one wherever it stands, and of several merged mappings the first one listed wins. YamlDotNet's
/// MergingParser is not used: it splices events, so a key that overrides a merged one would reach
/// us as a duplicate key, and it takes a quoted <c>"&lt;&lt;"</c> for a merge key too.
/// </remarks>
internal sealed class MappingBuilder(int line, int column)
{
    private const string MergeKey = "<<";

    private readonly List<YamlMappingEntry> _entries = [];
    private readonly Dictionary<string, YamlScalar> _keys = new(StringComparer.Ordinal);
    private bool _hasMerge;

    /// <summary>The key read last, waiting for its value; null between entries.</summary>
    public YamlScalar? PendingKey { get; private set; }

    /// <summary>Takes the next key; false, with the key it repeats, when the mapping already has it.</summary>
    public bool TryAddKey(YamlScalar key, [NotNullWhen(false)] out YamlScalar? first)
    {
        PendingKey = key;
        if (_keys.TryGetValue(key.Value, out first))
        {
            return false;
        }

        _keys.Add(key.Value, key);
        return true;
    }

    /// <summary>Takes the value of <see cref="PendingKey"/>; returns why it cannot, or null.</summary>
    public string? AddValue(YamlNode value)
    {
        YamlScalar key = PendingKey!;
        PendingKey = null;
        if (IsMergeKey(key))
        {
            bool mappings = value is YamlMapping
                || (value is YamlSequence sequence && sequence.Items.All(item => item is YamlMapping));
            if (!mappings)
            {
                return "the merge key '<<' takes a mapping or a list of mappings, e.g. <<: *defaults";
            }

            _hasMerge = true;
        }

        _entries.Add(new YamlMappingEntry(key, value));
        return null;
    }

    public YamlMapping Build()
    {
        if (!_hasMerge)
        {
            return new YamlMapping(_entries, line, column);
        }

        var present = new HashSet<string>(_keys.Keys, StringComparer.Ordinal);
        present.Remove(MergeKey);
        var entries = new List<YamlMappingEntry>(_entries.Count);
        foreach (YamlMappingEntry entry in _entries)
        {
            if (!IsMergeKey(entry.Key))
            {
                entries.Add(entry);
                continue;
            }

            IEnumerable<YamlNode> sources = entry.Value is YamlSequence list ? list.Items : [entry.Value];
            foreach (YamlMapping source in sources.Cast<YamlMapping>())
            {
                entries.AddRange(source.Entries.Where(merged => present.Add(merged.Key.Value)));
            }
        }

        return new YamlMapping(entries, line, column);
    }

    private static bool IsMergeKey(YamlScalar key) => !key.IsQuoted && key.Value == MergeKey;
}
