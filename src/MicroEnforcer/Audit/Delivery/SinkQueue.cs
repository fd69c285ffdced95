using System.Collections.Concurrent;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// The events one network sink has yet to deliver: bounded, filled by any thread (PID 1's
/// notify loop among them) and drained by the sink's sender thread alone. <see cref="Offer"/>
/// never blocks and never waits for the sender: a full queue refuses the event and counts it,
/// exactly, for the "dropped N events" event sent once the sink delivers again.
/// </summary>
/// <remarks>
/// A ConcurrentQueue (lock-free) with a count reserved by compare-and-swap before an item goes
/// in: the bound is never exceeded, and every offer is either queued or counted as dropped,
/// whatever the producers do at the same time. The sender sleeps on an event that an offer sets.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "lives as long as its sink: a sender stopped at the flush's deadline may still be waiting on the event as the process exits")]
internal sealed class SinkQueue<T>(int capacity)
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly ManualResetEventSlim _available = new(initialState: false, spinCount: 0);
    private int _count;
    private long _dropped;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>Events queued now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Events refused since <see cref="TakeDropped"/> last took the count.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="item"/>, or counts it as dropped when the queue is full; false then.</summary>
    public bool Offer(T item)
    {
        int count = Volatile.Read(ref _count);
        while (true)
        {
            if (count >= Capacity)
            {
                Interlocked.Increment(ref _dropped);
                return false;
            }
            int seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
                break;
            count = seen;
        }
        _items.Enqueue(item);
        if (!_available.IsSet)   // a read where the sender is busy anyway, not a write per event
            _available.Set();
        return true;
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> queued items to <paramref name="batch"/>, waiting up to
    /// <paramref name="wait"/> for the first; the number moved (0: none came).
    /// </summary>
    public int Take(List<T> batch, int max, TimeSpan wait)
    {
        if (_items.IsEmpty && wait > TimeSpan.Zero)
        {
            // Reset before the second look: an offer after it sets the event again.
            _available.Reset();
            if (_items.IsEmpty)
                _available.Wait(wait);
        }
        int taken = 0;
        while (taken < max && _items.TryDequeue(out T? item))
        {
            batch.Add(item);
            taken++;
        }
        Interlocked.Add(ref _count, -taken);
        return taken;
    }

    /// <summary>Wakes a sender waiting in <see cref="Take"/> (to stop or flush).</summary>
    public void Wake() => _available.Set();

    /// <summary>The dropped count, reset to 0: each drop is reported exactly once.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);
}
