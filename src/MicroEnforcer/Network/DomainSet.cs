using System.Numerics;
using System.Text;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Network;

/// <summary>
/// Listed DNS names (up to millions, from the policy and its list files), asked whether a queried
/// name is one of them or lies under one: a listed name covers its subdomains (see
/// <see cref="DomainName"/>).
/// </summary>
/// <remarks>
/// A query walks its own suffixes at the dots (a name has at most 127 labels), probing a hash
/// table for each, so a lookup is a handful of probes whatever the size of the list, and
/// allocates nothing unless it matches. The table is hand-written rather than a
/// <see cref="HashSet{T}"/> of strings for memory: a listed name is ASCII (DomainName refuses
/// anything else), so it is kept as its bytes in one array, with an int per slot of an
/// open-addressing table at most half full. A million names of about 25 characters take 33 MB
/// (measured), where strings in a hash set take over 100 MB, resident in PID 1 for the
/// container's life. Case is ignored (a DNS query's name may arrive in any case: 0x20
/// randomisation); listed names are lowercase already. The hash is
/// seeded per process, so which names share a probe chain cannot be known from outside.
/// </remarks>
public sealed class DomainSet : IEquatable<DomainSet>
{
    private static readonly uint Seed = (uint)HashCode.Combine(0x5eed);

    // Each name as its length (one byte: at most 253) followed by its lowercase ASCII bytes.
    private readonly byte[] _names;

    // Linear probing; 0 is an empty slot, else 1 + the offset of a name in _names. A power of two long.
    private readonly int[] _slots;

    // How much of _names is names: a builder's array is kept as it is unless much of it is spare.
    private readonly int _namesLength;

    private DomainSet(byte[] names, int namesLength, int[] slots, int count) =>
        (_names, _namesLength, _slots, Count) = (names, namesLength, slots, count);

    public static DomainSet Empty { get; } = new Builder().Build();

    public int Count { get; }

    public bool IsEmpty => Count == 0;

    /// <summary>A set of <paramref name="names"/> and of every name the <paramref name="sets"/> hold.</summary>
    public static DomainSet From(IEnumerable<DomainName> names, params IEnumerable<DomainSet> sets)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(sets);
        DomainSet[] nonEmpty = [.. sets.Where(set => !set.IsEmpty)];
        DomainName[] listed = [.. names];

        // One list file and nothing else, the usual case: that set already is the union.
        if (listed.Length == 0 && nonEmpty.Length == 1)
        {
            return nonEmpty[0];
        }

        var builder = new Builder(nonEmpty.Sum(set => set.Count) + listed.Length, nonEmpty.Sum(set => (long)set._namesLength));
        foreach (DomainSet set in nonEmpty)
        {
            for (int offset = 0; offset < set._namesLength; offset += 1 + set._names[offset])
            {
                builder.Add(set._names.AsSpan(offset + 1, set._names[offset]));
            }
        }

        foreach (DomainName domain in listed)
        {
            builder.Add(domain.Name);
        }

        return builder.Build();
    }

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
            int offset = Find(_names, _slots, queryName);
            if (offset >= 0)
            {
                return Encoding.ASCII.GetString(_names, offset + 1, _names[offset]);
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

    /// <summary>Whether <paramref name="name"/> itself is listed (any case, one trailing dot ignored); subdomains are not looked at.</summary>
    public bool ContainsExactly(ReadOnlySpan<char> name) => Find(_names, _slots, name.EndsWith('.') ? name[..^1] : name) >= 0;

    /// <summary>The offset in <paramref name="names"/> of <paramref name="name"/> (any ASCII case), or -1.</summary>
    private static int Find(byte[] names, int[] slots, ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > DomainName.MaxLength || slots.Length == 0)
        {
            return -1;
        }

        int mask = slots.Length - 1;
        for (int i = (int)(Hash(name) & (uint)mask); slots[i] != 0; i = (i + 1) & mask)
        {
            int offset = slots[i] - 1;
            if (SameName(names.AsSpan(offset + 1, names[offset]), name))
            {
                return offset;
            }
        }

        return -1;
    }

    private static bool SameName(ReadOnlySpan<byte> listed, ReadOnlySpan<char> name)
    {
        if (listed.Length != name.Length)
        {
            return false;
        }

        for (int i = 0; i < listed.Length; i++)
        {
            if (listed[i] != AsciiLower(name[i]))
            {
                return false;
            }
        }

        return true;
    }

    // ASCII only: a DNS name's case is ASCII's (RFC 4343), and no other character is in a listed name.
    private static char AsciiLower(char c) => char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;

    // FNV-1a over the lowercase name, then murmur3's finaliser: the table takes the low bits.
    private static uint Hash(ReadOnlySpan<char> name)
    {
        uint hash = 2166136261u ^ Seed;
        foreach (char c in name)
        {
            hash = (hash ^ AsciiLower(c)) * 16777619u;
        }

        return Finish(hash);
    }

    // The same hash of a name kept as its (lowercase) bytes.
    private static uint Hash(ReadOnlySpan<byte> name)
    {
        uint hash = 2166136261u ^ Seed;
        foreach (byte b in name)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return Finish(hash);
    }

    private static uint Finish(uint hash)
    {
        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        return hash ^ (hash >> 16);
    }

    public bool Equals(DomainSet? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }

        Span<char> name = stackalloc char[DomainName.MaxLength];
        for (int offset = 0; offset < _namesLength; offset += 1 + _names[offset])
        {
            int length = Encoding.ASCII.GetChars(_names.AsSpan(offset + 1, _names[offset]), name);
            if (Find(other._names, other._slots, name[..length]) < 0)
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as DomainSet);

    // Only the count: equal sets have equal counts, and hashing millions of names is not worth it.
    public override int GetHashCode() => Count;

    public override string ToString() => $"{Count} domain name(s)";

    /// <summary>Collects normalised names (<see cref="DomainName"/>), each once.</summary>
    public sealed class Builder
    {
        private byte[] _names;
        private int _length;
        private int[] _slots;
        private int _count;

        /// <param name="expectedNames">How many names are coming, if known: the table is sized once.</param>
        /// <param name="expectedBytes">About how many bytes they take (a list file's length bounds it).</param>
        public Builder(int expectedNames = 0, long expectedBytes = 0)
        {
            _slots = new int[Math.Max(64, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(expectedNames, 1 << 28) * 2))];
            _names = new byte[Math.Clamp(expectedBytes, 1024, Array.MaxLength)];
        }

        public int Count => _count;

        /// <summary>Adds a name <see cref="DomainName"/> made (lowercase ASCII, no trailing dot); false when it was there.</summary>
        public bool Add(ReadOnlySpan<char> normalisedName)
        {
            if (normalisedName.IsEmpty || normalisedName.Length > DomainName.MaxLength || !Ascii.IsValid(normalisedName))
            {
                throw new ArgumentException($"'{normalisedName}' is not a normalised domain name", nameof(normalisedName));
            }

            Span<byte> bytes = stackalloc byte[DomainName.MaxLength];
            for (int i = 0; i < normalisedName.Length; i++)
            {
                bytes[i] = (byte)AsciiLower(normalisedName[i]);
            }

            return Add(bytes[..normalisedName.Length]);
        }

        /// <summary>A name as another set keeps it: lowercase ASCII bytes.</summary>
        internal bool Add(ReadOnlySpan<byte> name)
        {
            int mask = _slots.Length - 1;
            int i = (int)(Hash(name) & (uint)mask);
            for (; _slots[i] != 0; i = (i + 1) & mask)
            {
                int listed = _slots[i] - 1;
                if (_names.AsSpan(listed + 1, _names[listed]).SequenceEqual(name))
                {
                    return false;
                }
            }

            if (_length + 1 + name.Length > _names.Length)
            {
                Array.Resize(ref _names, (int)Math.Min(Array.MaxLength, Math.Max(_names.Length * 2L, _length + 1L + name.Length)));
            }

            int offset = _length;
            _names[offset] = (byte)name.Length;
            name.CopyTo(_names.AsSpan(offset + 1));
            _length += 1 + name.Length;
            _count++;
            if (_count * 2 > _slots.Length)
            {
                Rehash(_slots.Length * 2);   // places the new name too
            }
            else
            {
                _slots[i] = offset + 1;
            }

            return true;
        }

        public DomainSet Build()
        {
            // A list file's length overestimates its names (addresses, comments): give the rest back if it is much.
            byte[] names = _names.Length - _length > _names.Length / 16 ? _names.AsSpan(0, _length).ToArray() : _names;
            var set = new DomainSet(names, _length, _slots, _count);
            _names = new byte[1024];
            _length = 0;
            _slots = new int[64];
            _count = 0;
            return set;
        }

        private void Rehash(int size)
        {
            var slots = new int[size];
            int mask = size - 1;
            for (int offset = 0; offset < _length; offset += 1 + _names[offset])
            {
                int i = (int)(Hash(_names.AsSpan(offset + 1, _names[offset])) & (uint)mask);
                while (slots[i] != 0)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = offset + 1;
            }

            _slots = slots;
        }
    }
}
