
namespace MicroEnforcer.Baseline;

/// <summary>
/// The image's executables, by canonical path, as captured at start. Immutable after capture
/// (entries gain their content hash later), so lookups from any thread need no lock.
/// </summary>
internal sealed class ImageBaseline
{
    // Keyed by the entries' own path strings (no second copy of each path).
    private readonly Dictionary<string, BaselineEntry> _byPath;

    public ImageBaseline(IReadOnlyCollection<BaselineEntry> entries, int filesScanned)
    {
        _byPath = new Dictionary<string, BaselineEntry>(entries.Count, StringComparer.Ordinal);
        foreach (BaselineEntry entry in entries)
            _byPath[entry.Path] = entry;
        FilesScanned = filesScanned;
    }

    public int FilesScanned { get; }

    public int ExecutableCount => _byPath.Count;

    /// <summary>The walk and building the lookup, for the start-up log.</summary>
    public TimeSpan CaptureTime { get; internal set; }

    public IEnumerable<BaselineEntry> Entries => _byPath.Values;

    public BaselineEntry? Find(string canonicalPath) => _byPath.GetValueOrDefault(canonicalPath);
}
