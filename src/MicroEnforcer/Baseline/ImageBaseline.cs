using System.Numerics;
using System.Collections.Concurrent;

using MicroEnforcer.Interop;
namespace MicroEnforcer.Baseline;

/// <summary>
/// The image's executables, by canonical path, as captured at start. PID 1 keeps it for the
/// container's lifetime, so it is stored compactly, column by column: every path's bytes back to
/// back in one array, one array of signatures, one of hashes, and an open-addressing table of
/// indexes. About 120 bytes per executable plus its path, against about 230 for an object per
/// entry in a Dictionary (100,000 executables: see BENCHMARKS.md). Immutable after capture but
/// for the hashes, which the hasher publishes one entry at a time; lookups need no lock.
///
/// The walk that fills it runs behind the workload (see <see cref="StartMark"/>), so it also
/// records the executables it found already changed since the start, as such: their image
/// content, if they had any, is unknowable.
/// </summary>
internal sealed class ImageBaseline
{
    private const int Pending = 0, Hashed = 1, Unavailable = 2, ChangedBeforeRecorded = 3, Revoked = 4;

    private readonly byte[] _pathBytes;
    private readonly int[] _pathStarts;          // entry i's path is _pathBytes[_pathStarts[i].._pathStarts[i + 1]]
    private readonly FileSignature[] _signatures;
    private readonly ContentHash[] _hashes;      // valid where _hashStates says Hashed
    private readonly int[] _hashStates;          // written last (Volatile.Write): publishes the hash
    private readonly bool[] _byStamps;           // recorded or hashed on the word of the ContentStamps, not of an untouched ctime
    private readonly ConcurrentDictionary<int, string> _unavailableReasons = new();
    private readonly int[] _table;               // entry index + 1 at its hash's slot or the next free one; 0: free

    private ImageBaseline(byte[] pathBytes, int[] pathStarts, FileSignature[] signatures, int[] hashStates, bool[] byStamps, int filesScanned)
    {
        _byStamps = byStamps;
        _pathBytes = pathBytes;
        _pathStarts = pathStarts;
        _signatures = signatures;
        _hashes = new ContentHash[signatures.Length];
        _hashStates = hashStates;
        FilesScanned = filesScanned;
        ChangedCount = hashStates.Count(state => state == ChangedBeforeRecorded);
        _table = new int[Math.Max(16, (int)BitOperations.RoundUpToPowerOf2((uint)signatures.Length * 2))];
        for (int i = 0; i < signatures.Length; i++)
        {
            int slot = Slot(PathBytes(i));
            while (_table[slot] != 0)
                slot = (slot + 1) & (_table.Length - 1);
            _table[slot] = i + 1;
        }
    }

    public int FilesScanned { get; }

    /// <summary>Executables recorded, those found changed since the start included.</summary>
    public int ExecutableCount => _signatures.Length;

    /// <summary>Executables the walk found already changed since the start.</summary>
    public int ChangedCount { get; }

    /// <summary>The walk and building the lookup, for the start-up log.</summary>
    public TimeSpan CaptureTime { get; internal set; }

    /// <summary>The walk stopped early because the system clock was set (see <see cref="StartMark"/>).</summary>
    public bool ClockSetDuringCapture { get; internal set; }

    public IEnumerable<BaselineEntry> Entries
    {
        get
        {
            for (int i = 0; i < _signatures.Length; i++)
                yield return new BaselineEntry(this, i);
        }
    }

    public BaselineEntry? Find(string canonicalPath)
    {
        byte[] key = PathText.Encode(canonicalPath);
        for (int slot = Slot(key); _table[slot] != 0; slot = (slot + 1) & (_table.Length - 1))
        {
            int index = _table[slot] - 1;
            if (PathBytes(index).SequenceEqual(key))
                return new BaselineEntry(this, index);
        }
        return null;
    }

    private ReadOnlySpan<byte> PathBytes(int index) => _pathBytes.AsSpan(_pathStarts[index].._pathStarts[index + 1]);

    private int Slot(ReadOnlySpan<byte> path)
    {
        var hash = new HashCode();
        hash.AddBytes(path);
        return hash.ToHashCode() & (_table.Length - 1);
    }

    internal string PathOf(int index) => PathText.Decode(PathBytes(index));

    internal FileSignature SignatureOf(int index) => _signatures[index];

    internal bool ChangedBeforeRecordedAt(int index) => _hashStates[index] == ChangedBeforeRecorded;

    internal string? RevokedReasonOf(int index) =>
        Volatile.Read(ref _hashStates[index]) == Revoked ? _unavailableReasons.GetValueOrDefault(index) ?? "revoked" : null;

    /// <summary>Executables recorded or hashed on the word of the <see cref="ContentStamps"/>.</summary>
    public int ByStampsCount => _byStamps.Count(b => b);

    internal ContentHash? HashOf(int index) => Volatile.Read(ref _hashStates[index]) == Hashed ? _hashes[index] : null;

    internal string? HashUnavailableReasonOf(int index) =>
        Volatile.Read(ref _hashStates[index]) == Unavailable ? _unavailableReasons.GetValueOrDefault(index) : null;

    /// <summary>Publishes the hash, unless the entry stopped being pending meanwhile (revoked); false then.</summary>
    internal bool SetHash(int index, ContentHash hash)
    {
        _hashes[index] = hash;
        return Interlocked.CompareExchange(ref _hashStates[index], Hashed, Pending) == Pending;
    }

    /// <summary>The entry's record or hash is about to rest on the word of the stamps (set before either is published).</summary>
    internal void MarkByStamps(int index) => Volatile.Write(ref _byStamps[index], true);

    /// <summary>
    /// Withdraws everything recorded or hashed on the word of the stamps (a process ran outside
    /// the filter, and could have set an mtime back first): those entries are drift from now on,
    /// unless their ctime still proves them untouched since the start.
    /// </summary>
    internal int RevokeByStamps(string reason)
    {
        int revoked = 0;
        for (int i = 0; i < _byStamps.Length; i++)
        {
            if (!Volatile.Read(ref _byStamps[i]))
                continue;
            _unavailableReasons[i] = reason;
            Volatile.Write(ref _hashStates[i], Revoked);
            revoked++;
        }
        return revoked;
    }

    internal void SetHashUnavailable(int index, string reason)
    {
        if (Volatile.Read(ref _hashStates[index]) != Pending)
            return;
        _unavailableReasons.TryAdd(index, reason);
        Interlocked.CompareExchange(ref _hashStates[index], Unavailable, Pending);
    }

    /// <summary>Collects the entries of a capture; <see cref="Build"/> makes the compact store.</summary>
    internal sealed class Builder
    {
        private byte[] _pathBytes = new byte[64 * 1024];
        private int _pathLength;
        private readonly List<int> _pathStarts = [0];
        private readonly List<FileSignature> _signatures = [];
        private readonly List<int> _changed = [];   // indexes of entries found changed since the start, ascending
        private readonly List<int> _byStamps = [];  // indexes of entries whose metadata changed, recorded on the stamps' word

        public int Count => _signatures.Count;

        /// <summary>An executable as the image has it.</summary>
        public void Add(string path, in FileSignature signature) => Append(path, signature);

        /// <summary>
        /// An executable whose metadata changed since the start, with its content vouched for by
        /// the <see cref="ContentStamps"/>: recorded with its current signature.
        /// </summary>
        public void AddByStamps(string path, in FileSignature signature)
        {
            _byStamps.Add(_signatures.Count);
            Append(path, signature);
        }

        /// <summary>An executable found changed since the start: its image content, if any, is unknown.</summary>
        public void AddChanged(string path)
        {
            _changed.Add(_signatures.Count);
            Append(path, default);
        }

        /// <summary>Forgets the entries added after the first <paramref name="count"/>.</summary>
        public void Truncate(int count)
        {
            if (count >= _signatures.Count)
                return;
            _pathLength = _pathStarts[count];
            _pathStarts.RemoveRange(count + 1, _pathStarts.Count - count - 1);
            _signatures.RemoveRange(count, _signatures.Count - count);
            _changed.RemoveAll(index => index >= count);
            _byStamps.RemoveAll(index => index >= count);
        }

        private void Append(string path, in FileSignature signature)
        {
            byte[] bytes = PathText.Encode(path);
            if (_pathLength + bytes.Length > _pathBytes.Length)
                Array.Resize(ref _pathBytes, Math.Max(_pathBytes.Length * 2, _pathLength + bytes.Length));
            bytes.CopyTo(_pathBytes, _pathLength);
            _pathLength += bytes.Length;
            _pathStarts.Add(_pathLength);
            _signatures.Add(signature);
        }

        public ImageBaseline Build(int filesScanned) => Build([this], filesScanned);

        /// <summary>One store from the builders of a walk's workers.</summary>
        public static ImageBaseline Build(IReadOnlyList<Builder> parts, int filesScanned)
        {
            byte[] pathBytes = new byte[parts.Sum(p => p._pathLength)];
            var pathStarts = new int[parts.Sum(p => p._signatures.Count) + 1];
            var signatures = new FileSignature[pathStarts.Length - 1];
            var hashStates = new int[signatures.Length];
            var byStamps = new bool[signatures.Length];
            int bytes = 0, count = 0;
            foreach (Builder part in parts)
            {
                foreach (int changed in part._changed)
                    hashStates[count + changed] = ChangedBeforeRecorded;
                foreach (int vouched in part._byStamps)
                    byStamps[count + vouched] = true;
                part._pathBytes.AsSpan(0, part._pathLength).CopyTo(pathBytes.AsSpan(bytes));
                for (int i = 0; i < part._signatures.Count; i++)
                {
                    signatures[count] = part._signatures[i];
                    pathStarts[++count] = bytes + part._pathStarts[i + 1];
                }
                bytes += part._pathLength;
            }
            return new ImageBaseline(pathBytes, pathStarts, signatures, hashStates, byStamps, filesScanned);
        }
    }
}
