using System.Collections;
using System.Runtime.CompilerServices;

namespace MicroEnforcer.Policy;

/// <summary>
/// An immutable list that compares, hashes and prints by its items: the lists a control's policy
/// record holds (patterns, networks, names). A record with one compares by value without code of
/// its own, so a reloaded policy is recognised as unchanged, and a logged policy shows its entries.
/// </summary>
[CollectionBuilder(typeof(PolicyList), nameof(PolicyList.Create))]
public sealed class PolicyList<T> : IReadOnlyList<T>, IEquatable<PolicyList<T>>
{
    private readonly T[] _items;

    internal PolicyList(T[] items) => _items = items;

    public static PolicyList<T> Empty { get; } = new([]);

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    /// <summary>A struct enumerator: the lists are walked on every exec, and must not allocate.</summary>
    public ReadOnlySpan<T>.Enumerator GetEnumerator() => new ReadOnlySpan<T>(_items).GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(PolicyList<T>? other) =>
        other is not null && new ReadOnlySpan<T>(_items).SequenceEqual(other._items, EqualityComparer<T>.Default);

    public override bool Equals(object? obj) => Equals(obj as PolicyList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (T item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => $"[{string.Join(", ", _items)}]";
}

/// <summary>Builds a <see cref="PolicyList{T}"/>, from a collection expression too (<c>[a, b]</c>).</summary>
public static class PolicyList
{
    public static PolicyList<T> Create<T>(ReadOnlySpan<T> items) => items.IsEmpty ? PolicyList<T>.Empty : new(items.ToArray());

    public static PolicyList<T> From<T>(IEnumerable<T> items) => Create<T>([.. items]);
}
