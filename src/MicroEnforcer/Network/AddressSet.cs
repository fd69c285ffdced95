using System.Buffers.Binary;
using System.Net;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Network;

/// <summary>
/// Listed IPv4 and IPv6 networks (hundreds of thousands, from the policy and its list files),
/// asked which one holds a peer's address, in O(log n) and without allocating unless one does.
/// </summary>
/// <remarks>
/// Each family is a sorted array of non-overlapping ranges (a network's first and last address as
/// a <see cref="uint"/> or <see cref="UInt128"/>) searched by bisection. Two CIDR networks either
/// nest or are disjoint, so dropping every network that lies inside an earlier one merges the
/// overlaps and leaves each kept range a listed network, which <see cref="Match"/> can name in an
/// audit event. Adjacent networks (10.0.0.0/24, 10.0.1.0/24) stay two ranges for that reason: one
/// merged range would be no listed entry, and the search is O(log n) either way. A network inside
/// <c>::ffff:0:0/96</c> is stored as the IPv4 network it writes, and an IPv4-mapped peer address
/// is looked up as IPv4, as <see cref="IpNetwork.Contains"/> does.
/// Hand-written because nothing maintained fits: <see cref="System.Net.IPNetwork"/> is one network,
/// with no set; of the NuGet packages, IPNetwork2 computes subnets but has no lookup structure
/// for many networks, and no maintained CIDR-set package is trimming- and AOT-annotated for a
/// static Native AOT binary. The arrays also keep memory at 9 bytes per IPv4 network and 33 per
/// IPv6 one, where an <see cref="IpNetwork"/> object per entry costs over 100.
/// </remarks>
public sealed class AddressSet : IEquatable<AddressSet>
{
    private readonly uint[] _v4Starts;
    private readonly uint[] _v4Ends;
    private readonly byte[] _v4Prefixes;
    private readonly UInt128[] _v6Starts;
    private readonly UInt128[] _v6Ends;
    private readonly byte[] _v6Prefixes;

    private AddressSet(uint[] v4Starts, uint[] v4Ends, byte[] v4Prefixes, UInt128[] v6Starts, UInt128[] v6Ends, byte[] v6Prefixes)
    {
        (_v4Starts, _v4Ends, _v4Prefixes) = (v4Starts, v4Ends, v4Prefixes);
        (_v6Starts, _v6Ends, _v6Prefixes) = (v6Starts, v6Ends, v6Prefixes);
    }

    public static AddressSet Empty { get; } = new Builder().Build();

    /// <summary>Networks kept: the listed ones less those inside another listed one.</summary>
    public int Count => _v4Starts.Length + _v6Starts.Length;

    public bool IsEmpty => Count == 0;

    /// <summary>A set of <paramref name="networks"/> and of every network the <paramref name="sets"/> hold.</summary>
    public static AddressSet From(IEnumerable<IpNetwork> networks, params IEnumerable<AddressSet> sets)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(sets);
        AddressSet[] nonEmpty = [.. sets.Where(set => !set.IsEmpty)];
        IpNetwork[] listed = [.. networks];

        // One list file and nothing else, the usual case: that set already is the union.
        if (listed.Length == 0 && nonEmpty.Length == 1)
        {
            return nonEmpty[0];
        }

        var builder = new Builder();
        foreach (AddressSet set in nonEmpty)
        {
            builder.Add(set);
        }

        foreach (IpNetwork network in listed)
        {
            builder.Add(network);
        }

        return builder.Build();
    }

    /// <summary>
    /// The listed network that holds <paramref name="address"/> (the widest one, where listed
    /// networks nest), or null. An IPv4-mapped IPv6 address is looked up as the IPv4 address it carries.
    /// </summary>
    public IpNetwork? Match(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            return null;
        }

        if (written == 4 || IsMapped(BinaryPrimitives.ReadUInt128BigEndian(bytes)))
        {
            uint v4 = written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
            int index = Find(_v4Starts, _v4Ends, v4);
            if (index < 0)
            {
                return null;
            }

            BinaryPrimitives.WriteUInt32BigEndian(bytes, _v4Starts[index]);
            return IpNetwork.FromPrefix(new IPAddress(bytes[..4]), _v4Prefixes[index]);
        }

        int v6Index = Find(_v6Starts, _v6Ends, BinaryPrimitives.ReadUInt128BigEndian(bytes));
        if (v6Index < 0)
        {
            return null;
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, _v6Starts[v6Index]);
        return IpNetwork.FromPrefix(new IPAddress(bytes), _v6Prefixes[v6Index]);
    }

    /// <summary>Whether a listed network holds <paramref name="address"/>; allocates nothing.</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out int written))
        {
            return false;
        }

        if (written == 4)
        {
            return Find(_v4Starts, _v4Ends, BinaryPrimitives.ReadUInt32BigEndian(bytes)) >= 0;
        }

        UInt128 v6 = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return IsMapped(v6) ? Find(_v4Starts, _v4Ends, (uint)v6) >= 0 : Find(_v6Starts, _v6Ends, v6) >= 0;
    }

    // ::ffff:a.b.c.d: 80 zero bits, 16 one bits, the IPv4 address.
    private static bool IsMapped(UInt128 address) => address >> 32 == 0xFFFF;

    /// <summary>The index of the range holding <paramref name="value"/>: the last one starting at or below it, if it ends at or above it.</summary>
    private static int Find<T>(T[] starts, T[] ends, T value) where T : IComparable<T>
    {
        int index = Array.BinarySearch(starts, value);
        if (index < 0)
        {
            index = ~index - 1;
        }

        return index >= 0 && ends[index].CompareTo(value) >= 0 ? index : -1;
    }

    public bool Equals(AddressSet? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (_v4Starts.AsSpan().SequenceEqual(other._v4Starts) && _v4Prefixes.AsSpan().SequenceEqual(other._v4Prefixes)
                && _v6Starts.AsSpan().SequenceEqual(other._v6Starts) && _v6Prefixes.AsSpan().SequenceEqual(other._v6Prefixes)));

    public override bool Equals(object? obj) => Equals(obj as AddressSet);

    public override int GetHashCode() => HashCode.Combine(_v4Starts.Length, _v6Starts.Length);

    public override string ToString() => $"{_v4Starts.Length} IPv4 and {_v6Starts.Length} IPv6 network(s)";

    /// <summary>Collects networks, then sorts them and drops the nested ones once (<see cref="Build"/>).</summary>
    public sealed class Builder
    {
        private readonly List<(uint Start, byte Prefix)> _v4 = [];
        private readonly List<(UInt128 Start, byte Prefix)> _v6 = [];

        public int Count => _v4.Count + _v6.Count;

        public void Add(IpNetwork network)
        {
            ArgumentNullException.ThrowIfNull(network);
            Span<byte> bytes = stackalloc byte[16];
            network.Address.TryWriteBytes(bytes, out int written);
            Add(bytes[..written], network.PrefixLength);
        }

        /// <summary>A network by its address (4 or 16 bytes, host bits clear) and prefix length: what <see cref="IpNetwork.Parse"/> gives.</summary>
        internal void Add(ReadOnlySpan<byte> address, int prefixLength)
        {
            if (address.Length == 4)
            {
                _v4.Add((BinaryPrimitives.ReadUInt32BigEndian(address), (byte)prefixLength));
                return;
            }

            UInt128 start = BinaryPrimitives.ReadUInt128BigEndian(address);
            if (prefixLength >= 96 && IsMapped(start))
            {
                _v4.Add(((uint)start, (byte)(prefixLength - 96)));
            }
            else
            {
                _v6.Add((start, (byte)prefixLength));
            }
        }

        public void Add(AddressSet set)
        {
            ArgumentNullException.ThrowIfNull(set);
            for (int i = 0; i < set._v4Starts.Length; i++)
            {
                _v4.Add((set._v4Starts[i], set._v4Prefixes[i]));
            }

            for (int i = 0; i < set._v6Starts.Length; i++)
            {
                _v6.Add((set._v6Starts[i], set._v6Prefixes[i]));
            }
        }

        public AddressSet Build()
        {
            (uint[] v4Starts, uint[] v4Ends, byte[] v4Prefixes) = Ranges(_v4, static prefix => prefix == 32 ? 0u : uint.MaxValue >> prefix);
            (UInt128[] v6Starts, UInt128[] v6Ends, byte[] v6Prefixes) = Ranges(_v6, static prefix => prefix == 128 ? UInt128.Zero : UInt128.MaxValue >> prefix);
            return new AddressSet(v4Starts, v4Ends, v4Prefixes, v6Starts, v6Ends, v6Prefixes);
        }

        /// <summary>
        /// Sorted by first address, the wider network first where two start alike; a network that
        /// starts inside the last kept one lies inside it (CIDR networks nest or are disjoint) and is dropped.
        /// </summary>
        private static (T[] Starts, T[] Ends, byte[] Prefixes) Ranges<T>(List<(T Start, byte Prefix)> networks, Func<byte, T> hostMask)
            where T : struct, IComparable<T>, System.Numerics.IBitwiseOperators<T, T, T>
        {
            networks.Sort(static (a, b) => a.Start.CompareTo(b.Start) is var byStart and not 0 ? byStart : a.Prefix.CompareTo(b.Prefix));
            var starts = new List<T>(networks.Count);
            var ends = new List<T>(networks.Count);
            var prefixes = new List<byte>(networks.Count);
            foreach ((T start, byte prefix) in networks)
            {
                if (ends.Count > 0 && start.CompareTo(ends[^1]) <= 0)
                {
                    continue;
                }

                starts.Add(start);
                ends.Add(start | hostMask(prefix));
                prefixes.Add(prefix);
            }

            return ([.. starts], [.. ends], [.. prefixes]);
        }
    }
}
