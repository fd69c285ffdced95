namespace MicroEnforcer.Controls;

/// <summary>
/// Forensics' bound on connection events. Time is cut into fixed intervals. Within one, each key
/// (an accepting listener's local address; an outbound process) may have
/// <c>aggregateAfter</c> connections reported one by one; the connections over that are counted,
/// with the distinct remote addresses (a sample of <see cref="SampleSize"/> kept in order of first
/// sight, and how many there were, up to <see cref="MaxDistinct"/>), and the owner writes one
/// "connections" event per such key when the interval ends, naming the process of the first one
/// held back. So a listener accepting 10,000 connections a second writes aggregateAfter lines and
/// one more per interval, and every connection is in exactly one event: the individual ones plus
/// the counts add up. Memory is bounded: at most <see cref="MaxKeys"/> keys per interval (the
/// connections of any further key go into one overflow aggregate under the key "*"), and
/// <see cref="MaxDistinct"/> remotes per key. Not thread-safe: the owner locks.
/// </summary>
internal sealed class ConnectionAggregator<TFirst>(int aggregateAfter, long intervalMs, Func<long> clockMs)
{
    public const int SampleSize = 10;
    public const int MaxDistinct = 1024;
    public const int MaxKeys = 1024;
    public const string OverflowKey = "*";

    private readonly Dictionary<(string Event, string Key), Entry> _entries = [];
    private long _windowStart = clockMs();
    private bool _endNow;

    public long IntervalMs => intervalMs;

    /// <summary>No connection in the current interval yet.</summary>
    public bool IsEmpty => _entries.Count == 0;

    /// <summary>Ends the current interval at the next <see cref="EndWindowIfDue"/>, whatever the time (the enforcer stops).</summary>
    public void EndNow() => _endNow = true;

    /// <summary>When the current interval ends (the owner's wake-up).</summary>
    public long WindowEnd => _windowStart + intervalMs;

    /// <summary>
    /// One connection of <paramref name="kind"/> ("accept", "connect") under <paramref name="key"/>:
    /// true if it is reported on its own now; otherwise it was counted, and <paramref name="first"/>
    /// was asked for the process if it is the first one held back under its key in this interval.
    /// </summary>
    public bool Admit(string kind, string key, string remote, Func<TFirst> first)
    {
        if (_entries.Count == 0 && clockMs() is long now && now >= WindowEnd)
            _windowStart = now;   // idle since the last interval: a new one starts with this connection
        if (!_entries.TryGetValue((kind, key), out Entry? entry))
        {
            if (_entries.Count >= MaxKeys)
            {
                key = OverflowKey;
                if (!_entries.TryGetValue((kind, key), out entry))
                    entry = _entries[(kind, key)] = new Entry { Individual = aggregateAfter };   // the overflow key reports nothing one by one
            }
            else
            {
                entry = _entries[(kind, key)] = new Entry();
            }
        }
        if (entry.Individual < aggregateAfter)
        {
            entry.Individual++;
            return true;
        }
        if (entry.Count == 0)
            entry.First = first();
        entry.Count++;
        if (entry.Distinct.Count < MaxDistinct && entry.Distinct.Add(remote) && entry.Sample.Count < SampleSize)
            entry.Sample.Add(remote);
        return false;
    }

    /// <summary>If the interval is over: its aggregates (keys with connections held back), and a fresh interval. Else empty.</summary>
    public IReadOnlyList<Aggregate> EndWindowIfDue()
    {
        long now = clockMs();
        if (now < WindowEnd && !_endNow)
            return [];
        _endNow = false;
        var aggregates = new List<Aggregate>();
        foreach (((string kind, string key), Entry entry) in _entries)
        {
            if (entry.Count > 0)
                aggregates.Add(new Aggregate(kind, key, entry.Count, entry.Distinct.Count, entry.Sample, entry.First!, now - _windowStart));
        }
        _entries.Clear();
        _windowStart = now;
        return aggregates;
    }

    /// <summary>Connections of one kind and key held back in one interval.</summary>
    /// <param name="DistinctRemotes">How many distinct remote addresses, up to <see cref="MaxDistinct"/>.</param>
    /// <param name="Remotes">The first <see cref="SampleSize"/> of them.</param>
    public sealed record Aggregate(string Kind, string Key, int Count, int DistinctRemotes, IReadOnlyList<string> Remotes, TFirst First, long IntervalMs);

    private sealed class Entry
    {
        public int Individual;
        public int Count;
        public TFirst? First;
        public readonly HashSet<string> Distinct = new(StringComparer.Ordinal);
        public readonly List<string> Sample = [];
    }
}
