using System.Collections.Frozen;

namespace MicroEnforcer.Baseline;

/// <summary>
/// The image's executables, by canonical path, as captured at start. Immutable after capture
/// (entries gain their content hash later), so lookups from any thread need no lock.
/// </summary>
internal sealed class ImageBaseline
{
    private readonly FrozenDictionary<string, BaselineEntry> _byPath;

    public ImageBaseline(IEnumerable<BaselineEntry> entries, int filesScanned, TimeSpan captureTime)
    {
        _byPath = entries.ToFrozenDictionary(e => e.Path, StringComparer.Ordinal);
        FilesScanned = filesScanned;
        CaptureTime = captureTime;
    }

    public int FilesScanned { get; }

    public int ExecutableCount => _byPath.Count;

    public TimeSpan CaptureTime { get; }

    public IEnumerable<BaselineEntry> Entries => _byPath.Values;

    public BaselineEntry? Find(string canonicalPath) => _byPath.GetValueOrDefault(canonicalPath);
}
