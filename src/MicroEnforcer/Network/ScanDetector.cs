using System.Net;
using System.Net.Sockets;

namespace MicroEnforcer.Network;

/// <summary>
/// Counts the distinct targets (host, port) each initiator tries over a sliding window, and says
/// when one crosses a threshold: <c>distinctPorts</c> ports of one host (a port scan) or
/// <c>distinctHosts</c> hosts on one port (a host sweep). A try counts for the process that made
/// it AND for its parent, so that sixty processes trying one port each under one shell
/// (<c>for p in ...; do nc -z host $p; done</c>) are the shell's scan.
///
/// Once per window: an initiator reported is not reported again until a window has passed since,
/// nor is its parent (whose count holds the same tries) nor, while the parent's report stands, any
/// of its children; a scan that goes on is reported again each window. The report is made the
/// moment the threshold is crossed, not when the window ends: a scan is usually over by then.
///
/// A target's time is its first try in the window: trying it again does not make it younger (a
/// client's thousand connections to one port are one target, one queue entry). Memory is bounded
/// (<see cref="MaxTargetsPerInitiator"/>, <see cref="MaxTargets"/>, <see cref="MaxInitiators"/>):
/// past a cap the oldest targets, then the longest-quiet initiators, are forgotten. Thread-safe:
/// connects completed on worker threads observe concurrently with the notify loop.
/// </summary>
internal sealed class ScanDetector
{
    /// <summary>The largest threshold a policy may set: what one initiator's window can hold is bounded by it.</summary>
    public const int MaxThreshold = 4096;

    /// <summary>Per initiator; twice the largest threshold, so that a scan of several hosts still crosses one.</summary>
    public const int MaxTargetsPerInitiator = 2 * MaxThreshold;

    /// <summary>All initiators together (about 100 bytes each: a few MiB at most).</summary>
    public const int MaxTargets = 1 << 16;

    public const int MaxInitiators = 4096;

    /// <summary>How many targets a report names.</summary>
    public const int SampleSize = 10;

    private readonly long _window;
    private readonly int _distinctPorts;
    private readonly int _distinctHosts;
    private readonly Func<long> _clock;
    private readonly Dictionary<int, Initiator> _initiators = [];
    private readonly Lock _lock = new();
    private int _targets;

    /// <param name="clock">Milliseconds from any fixed start (by default <see cref="Environment.TickCount64"/>): the tests' own clock.</param>
    public ScanDetector(TimeSpan window, int distinctPorts, int distinctHosts, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(distinctPorts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(distinctHosts, 1);
        _window = (long)window.TotalMilliseconds;
        _distinctPorts = distinctPorts;
        _distinctHosts = distinctHosts;
        _clock = clock ?? (static () => Environment.TickCount64);
    }

    /// <summary>How many initiators are tracked (for the tests of the caps).</summary>
    public int Initiators
    {
        get
        {
            lock (_lock)
                return _initiators.Count;
        }
    }

    /// <summary>How many targets are held, all initiators together (for the tests of the caps).</summary>
    public int Targets
    {
        get
        {
            lock (_lock)
                return _targets;
        }
    }

    /// <summary>
    /// Process <paramref name="pid"/>, child of <paramref name="parent"/> (0 or 1: not counted for
    /// a parent: PID 1 is the enforcer, and an orphan's tries are its own), tried
    /// <paramref name="target"/>; <paramref name="failed"/>: the try failed at once. Returns the
    /// scan to report, if this try makes one.
    /// </summary>
    public ScanDetection? Observe(int pid, int parent, IPEndPoint target, bool failed)
    {
        ArgumentNullException.ThrowIfNull(target);
        var key = new Target(target.Address, target.Port);
        lock (_lock)
        {
            long now = _clock();
            Initiator self = GetOrAdd(pid, now);
            self.Parent = parent;
            bool selfCrossed = Add(self, key, failed, now);
            Initiator? family = parent > 1 && parent != pid ? GetOrAdd(parent, now) : null;
            bool familyCrossed = family is not null && Add(family, key, failed, now);

            if (selfCrossed && !Suppressed(self, now))
                return Report(self, byChildren: false, key, now);
            if (familyCrossed && !Suppressed(family!, now))
                return Report(family!, byChildren: true, key, now);
            return null;
        }
    }

    private Initiator GetOrAdd(int pid, long now)
    {
        if (!_initiators.TryGetValue(pid, out Initiator? initiator))
        {
            if (_initiators.Count >= MaxInitiators)
                Forget(now, keep: null);
            initiator = new Initiator(pid);
            _initiators[pid] = initiator;
        }
        initiator.LastSeen = now;
        return initiator;
    }

    // A new target that leaves the initiator at or over a threshold.
    private bool Add(Initiator initiator, Target key, bool failed, long now)
    {
        Expire(initiator, now);
        if (initiator.Targets.TryGetValue(key, out bool wasFailed))
        {
            if (wasFailed != failed)
            {
                initiator.Targets[key] = failed;
                initiator.Failures += failed ? 1 : -1;
            }
            return false;
        }
        if (initiator.Targets.Count >= MaxTargetsPerInitiator)
            RemoveOldest(initiator);
        if (_targets >= MaxTargets)
            Forget(now, keep: initiator);
        initiator.Targets[key] = failed;
        initiator.Order.Enqueue((key, now));
        initiator.Failures += failed ? 1 : 0;
        _targets++;
        int ports = Increment(initiator.PortsByHost, key.Address);
        int hosts = Increment(initiator.HostsByPort, key.Port);
        return ports >= _distinctPorts || hosts >= _distinctHosts;
    }

    private bool Suppressed(Initiator initiator, long now) =>
        Recent(initiator.ReportedAt, now)
        || (initiator.Parent > 1 && _initiators.TryGetValue(initiator.Parent, out Initiator? parent) && Recent(parent.ReportedAt, now));

    private bool Recent(long reportedAt, long now) => reportedAt != long.MinValue && now - reportedAt < _window;

    private ScanDetection Report(Initiator initiator, bool byChildren, Target last, long now)
    {
        initiator.ReportedAt = now;
        // Observe added the parent of a process that tried: its count holds the same tries.
        if (initiator.Parent > 1 && _initiators.TryGetValue(initiator.Parent, out Initiator? parent))
            parent.ReportedAt = now;

        int ports = initiator.PortsByHost[last.Address];
        bool portScan = ports >= _distinctPorts;
        return new ScanDetection(initiator.Pid, byChildren, portScan ? last.Address : null, portScan ? null : last.Port,
            portScan ? ports : initiator.HostsByPort[last.Port], initiator.Targets.Count, initiator.Failures,
            [.. initiator.Order.Take(SampleSize).Select(entry => entry.Key.Text)]);
    }

    private void Expire(Initiator initiator, long now)
    {
        while (initiator.Order.TryPeek(out (Target Key, long At) oldest) && now - oldest.At >= _window)
            RemoveOldest(initiator);
    }

    private void RemoveOldest(Initiator initiator)
    {
        (Target key, _) = initiator.Order.Dequeue();
        if (initiator.Targets.Remove(key, out bool failed) && failed)
            initiator.Failures--;
        Decrement(initiator.PortsByHost, key.Address);
        Decrement(initiator.HostsByPort, key.Port);
        _targets--;
    }

    // Makes room: drops the initiators with nothing left in their window (no target, no report
    // standing), and if that is not enough, the one quiet the longest (never keep).
    private void Forget(long now, Initiator? keep)
    {
        foreach (Initiator initiator in _initiators.Values.ToList())
        {
            Expire(initiator, now);
            if (initiator != keep && initiator.Targets.Count == 0 && !Recent(initiator.ReportedAt, now))
                _initiators.Remove(initiator.Pid);
        }
        while (_initiators.Count >= MaxInitiators || _targets >= MaxTargets)
        {
            Initiator? quietest = _initiators.Values.Where(i => i != keep).MinBy(i => i.LastSeen);
            if (quietest is null)
                break;
            _initiators.Remove(quietest.Pid);
            _targets -= quietest.Targets.Count;
        }
        if (keep is not null && _targets >= MaxTargets && keep.Order.Count > 0)
            RemoveOldest(keep);
    }

    private static int Increment<TKey>(Dictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        int count = counts.GetValueOrDefault(key) + 1;
        counts[key] = count;
        return count;
    }

    private static void Decrement<TKey>(Dictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        if (counts.TryGetValue(key, out int count))
        {
            if (count <= 1)
                counts.Remove(key);
            else
                counts[key] = count - 1;
        }
    }

    private readonly record struct Target(IPAddress Address, int Port)
    {
        public string Text => Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
    }

    // One process's tries (its own, and its children's) within the window.
    private sealed class Initiator(int pid)
    {
        public int Pid { get; } = pid;

        /// <summary>Its parent as its last own try said; 0: unknown (only its children tried anything).</summary>
        public int Parent { get; set; }

        /// <summary>Each target in the window, and whether its last try failed at once.</summary>
        public Dictionary<Target, bool> Targets { get; } = [];

        /// <summary>The targets in the order of their first try in the window, with its time.</summary>
        public Queue<(Target Key, long At)> Order { get; } = new();

        public Dictionary<IPAddress, int> PortsByHost { get; } = [];

        public Dictionary<int, int> HostsByPort { get; } = [];

        public int Failures { get; set; }

        public long LastSeen { get; set; }

        public long ReportedAt { get; set; } = long.MinValue;
    }
}
