using MicroEnforcer.Policy;

namespace MicroEnforcer.Network;

/// <summary>
/// Listed DNS names (up to millions, from the policy and its list files), asked whether a queried
/// name is one of them or lies under one: a listed name covers its subdomains (see
/// <see cref="DomainName"/>).
/// </summary>
/// <remarks>
/// A hash set of the normalised names, and a query walks its own suffixes at the dots: a name has
/// at most 127 labels, so a lookup is a handful of hash probes whatever the size of the list. The
/// probes go through the set's span lookup, so a query allocates nothing. The set compares
/// ignoring ASCII case because a DNS query's name is case-insensitive and may arrive in any case
/// (0x20 randomisation); the listed names are lowercase already.
/// </remarks>
public sealed class DomainSet : IEquatable<DomainSet>
{
    private readonly HashSet<string> _names;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private DomainSet(HashSet<string> names)
    {
        _names = names;
        _lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static DomainSet Empty { get; } = new(new HashSet<string>(StringComparer.OrdinalIgnoreCase));

    public int Count => _names.Count;

    public bool IsEmpty => _names.Count == 0;

    /// <summary>A set of <paramref name="names"/> and of every name the <paramref name="sets"/> hold.</summary>
    public static DomainSet From(IEnumerable<DomainName> names, params IEnumerable<DomainSet> sets)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(sets);
        var all = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (DomainSet set in sets)
        {
            if (all.Count == 0)
            {
                all.EnsureCapacity(set.Count);
            }

            all.UnionWith(set._names);
        }

        foreach (DomainName name in names)
        {
            all.Add(name.Name);
        }

        return new DomainSet(all);
    }

    /// <summary>A set of names already normalised (<see cref="DomainName.Normalise"/>); the set is the caller's no more.</summary>
    internal static DomainSet Adopt(HashSet<string> normalisedNames) => new(normalisedNames);

    /// <summary>
    /// The listed name that covers <paramref name="queryName"/>: the name itself, or else its
    /// nearest listed parent (for <c>a.b.example.com</c>, <c>b.example.com</c> before
    /// <c>example.com</c>); null when none does. Case is ignored, and so is one trailing dot.
    /// </summary>
    public string? Match(ReadOnlySpan<char> queryName)
    {
        if (queryName.EndsWith('.'))
        {
            queryName = queryName[..^1];
        }

        while (!queryName.IsEmpty)
        {
            if (_lookup.TryGetValue(queryName, out string? listed))
            {
                return listed;
            }

            int dot = queryName.IndexOf('.');
            if (dot < 0)
            {
                return null;
            }

            queryName = queryName[(dot + 1)..];
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> (normalised or not) is itself listed; subdomains are not looked at.</summary>
    public bool ContainsExactly(ReadOnlySpan<char> name) => _lookup.Contains(name.EndsWith('.') ? name[..^1] : name);

    public bool Equals(DomainSet? other) => other is not null && (ReferenceEquals(this, other) || _names.SetEquals(other._names));

    public override bool Equals(object? obj) => Equals(obj as DomainSet);

    // Only the count: equal sets have equal counts, and hashing millions of names is not worth it.
    public override int GetHashCode() => _names.Count;

    public override string ToString() => $"{Count} domain name(s)";
}
