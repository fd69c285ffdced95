using System.Collections.Concurrent;

namespace MicroEnforcer.Injector.Kubernetes;

/// <summary>
/// Pull secrets as the API server last gave them, kept for a short time by namespace/name, so
/// that the replicas of a Deployment (hundreds of reviews a minute) cost one read, not one each.
/// A TTL rather than a watch: a watch needs `list`/`watch` on every secret of the cluster (the
/// ClusterRole grants `get` only) and a connection kept open to the API server, for a saving
/// of a few reads a minute. A secret rotated in the API server is seen within the TTL
/// (`PullSecretCacheSeconds`); a missing one, which may be about to be created, within the
/// shorter `PullSecretMissingCacheSeconds`. A failed read is not cached: the next review asks
/// again. Concurrent reviews needing the same secret share one read. No resourceVersion check:
/// a read after the TTL returns the secret whole, and re-parsing it costs less than the read.
/// </summary>
public sealed class PullSecretCache(IKubernetesApi kubernetes, InjectorOptions options, TimeProvider time)
{
    // Bounds the memory a stream of reviews naming ever new secrets can take; expired ones go first.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Namespace, string Name), Entry> _entries = new();
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(options.PullSecretCacheSeconds);
    private readonly TimeSpan _missingTtl = TimeSpan.FromSeconds(Math.Min(options.PullSecretMissingCacheSeconds, options.PullSecretCacheSeconds));
    private long _reads;

    /// <summary>Reads made from the API server (the tests and the load test count them).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>The secret's docker config JSON, or null when it does not exist; as IKubernetesApi.GetPullSecretAsync.</summary>
    public async Task<string?> GetAsync(string ns, string name, CancellationToken cancel)
    {
        if (_ttl <= TimeSpan.Zero)
        {
            Interlocked.Increment(ref _reads);
            return await kubernetes.GetPullSecretAsync(ns, name, cancel).ConfigureAwait(false);
        }
        var key = (ns, name);
        while (true)
        {
            if (_entries.TryGetValue(key, out Entry? entry) && !entry.IsExpired(time.GetUtcNow()))
                return await entry.Value.Task.WaitAsync(cancel).ConfigureAwait(false);
            var fresh = new Entry();
            if (entry is null ? !_entries.TryAdd(key, fresh) : !_entries.TryUpdate(key, fresh, entry))
                continue; // another review started the read first: share it
            if (_entries.Count > MaxEntries)
                Evict();
            _ = ReadAsync(key, fresh);
            return await fresh.Value.Task.WaitAsync(cancel).ConfigureAwait(false);
        }
    }

    private async Task ReadAsync((string Namespace, string Name) key, Entry entry)
    {
        Interlocked.Increment(ref _reads);
        try
        {
            // Not the caller's token: the read is shared, and finishing it serves the next review.
            // It is bounded by the API client's own timeout; each caller waits only its budget.
            string? json = await kubernetes.GetPullSecretAsync(key.Namespace, key.Name, CancellationToken.None).ConfigureAwait(false);
            entry.ExpiresAt = time.GetUtcNow() + (json is null ? _missingTtl : _ttl);
            entry.Value.SetResult(json);
        }
#pragma warning disable CA1031 // every failure goes to the waiting reviews, which decide what it means
        catch (Exception e)
#pragma warning restore CA1031
        {
            _entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, entry));
            entry.Value.SetException(e);
        }
    }

    private void Evict()
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.IsExpired(now))
                _entries.TryRemove(new KeyValuePair<(string, string), Entry>(key, entry));
        }
        if (_entries.Count > MaxEntries)
            _entries.Clear();
    }

    private sealed class Entry
    {
        public TaskCompletionSource<string?> Value { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set before Value completes; until then the entry is a read in flight, never expired.</summary>
        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;

        public bool IsExpired(DateTimeOffset now) => Value.Task.IsCompleted && now >= ExpiresAt;
    }
}
