using System.Numerics;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Network;

/// <summary>
/// The ports a policy lists, asked once per judged network call: a 65,536-bit bitmap (8 KiB), so
/// <see cref="Contains"/> is one load and one mask however many ranges were listed.
/// </summary>
public sealed class PortSet
{
    private readonly ulong[] _bits = new ulong[(PortRange.MaxPort + 1) / 64];

    public PortSet(IEnumerable<PortRange> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        foreach (PortRange range in ranges)
        {
            for (int port = range.First; port <= range.Last; port++)
            {
                _bits[port >> 6] |= 1UL << (port & 63);
            }
        }

        foreach (ulong word in _bits)
        {
            Count += BitOperations.PopCount(word);
        }
    }

    public static PortSet Empty { get; } = new([]);

    /// <summary>How many distinct ports are in the set.</summary>
    public int Count { get; }

    public bool IsEmpty => Count == 0;

    /// <summary>Whether <paramref name="port"/> is listed; anything outside 0..65535 is not.</summary>
    public bool Contains(int port) =>
        (uint)port <= PortRange.MaxPort && (_bits[port >> 6] & (1UL << (port & 63))) != 0;
}
