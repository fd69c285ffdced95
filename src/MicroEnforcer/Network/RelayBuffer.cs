namespace MicroEnforcer.Network;

/// <summary>
/// The bytes one direction of a TCP relay holds: read from one side, not yet sent to the other.
/// Bounded (its capacity is the back-pressure: a full buffer is not read into, so the sender's
/// socket fills and the kernel slows it down), and grown on demand from a small start, so an idle
/// connection costs a few kilobytes, not its bound.
/// </summary>
internal sealed class RelayBuffer(int capacity)
{
    private byte[] _data = new byte[Math.Min(capacity, 4096)];
    private int _start;

    public int Count { get; private set; }

    public int Capacity => capacity;

    public int Free => capacity - Count;

    public ReadOnlySpan<byte> Data => _data.AsSpan(_start, Count);

    /// <summary>Room for <paramref name="wanted"/> more bytes (at most <see cref="Free"/>), at the end, to read into; then <see cref="Commit"/>.</summary>
    public Span<byte> Reserve(int wanted)
    {
        wanted = Math.Min(wanted, Free);
        if (_start + Count + wanted > _data.Length)
        {
            if (Count + wanted > _data.Length)
            {
                byte[] larger = new byte[Math.Min(capacity, Math.Max(_data.Length * 2, Count + wanted))];
                Data.CopyTo(larger);
                _data = larger;
            }
            else
            {
                Data.CopyTo(_data);
            }
            _start = 0;
        }
        return _data.AsSpan(_start + Count, wanted);
    }

    /// <summary>
    /// Room to read into (then <see cref="Commit"/>): what the array has free, the array doubled
    /// (up to the capacity) only once it is full, so that the buffer grows with what it holds.
    /// Empty when the buffer is full.
    /// </summary>
    public Span<byte> ReadRoom()
    {
        int spare = _data.Length - Count;
        return Reserve(spare > 0 ? spare : Math.Min(Free, _data.Length));
    }

    public void Commit(int count) => Count += count;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Commit(bytes.Length);
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front (they were sent).</summary>
    public void Consume(int count)
    {
        _start += count;
        Count -= count;
        if (Count == 0)
            _start = 0;
    }

    /// <summary>Cuts <paramref name="count"/> bytes out at <paramref name="offset"/> (a refused message).</summary>
    public void Remove(int offset, int count)
    {
        _data.AsSpan(_start + offset + count, Count - offset - count).CopyTo(_data.AsSpan(_start + offset));
        Count -= count;
    }
}
