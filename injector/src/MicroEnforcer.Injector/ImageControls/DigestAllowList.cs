using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// Block Unregistered Images' allow-list: a file (a mounted ConfigMap) with one entry a line,
/// `sha256:<64 hex>` (any repository) or `registry/repository@sha256:<64 hex>` (that repository
/// only, normalised like an image reference: `nginx@sha256:...` is docker.io/library/nginx), and
/// `#` comments, whole-line or trailing. Checked for changes at most every reload interval, by
/// content (a ConfigMap volume is updated by swapping a `..data` symlink, which file watchers do
/// not reliably report). A file that cannot be read, or with a line that is not an entry, keeps
/// the previous list in force and the problem is reported with every refusal; with no list ever
/// loaded nothing is allowed (fail closed).
/// </summary>
public sealed partial class DigestAllowList(string path, TimeSpan reloadInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private Snapshot _current = new(new HashSet<string>(), new HashSet<string>(), "not read yet");
    private byte[] _hash = [];
    private DateTimeOffset _nextCheck = DateTimeOffset.MinValue;

    public string Path => path;

    /// <summary>The list in force (re-read first when the interval has passed).</summary>
    public Snapshot Current()
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (now >= _nextCheck)
            {
                _nextCheck = now + reloadInterval;
                Reload();
            }
            return _current;
        }
    }

    private void Reload()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _current = _current with { Problem = $"the allow-list {path} cannot be read ({e.Message})" + (_hash.Length == 0 ? "" : "; its previous content is in force") };
            return;
        }
        byte[] hash = SHA256.HashData(bytes);
        if (hash.AsSpan().SequenceEqual(_hash))
            return;
        _hash = hash;
        _current = Parse(System.Text.Encoding.UTF8.GetString(bytes), path, _current);
    }

    /// <summary>The entries of TEXT; a line that is not an entry keeps PREVIOUS, with the problem.</summary>
    internal static Snapshot Parse(string text, string path, Snapshot previous)
    {
        var digests = new HashSet<string>(StringComparer.Ordinal);
        var pinned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
                line = line[..hash];
            line = line.Trim();
            if (line.Length == 0)
                continue;
            if (DigestPattern().IsMatch(line))
            {
                digests.Add(line.ToLowerInvariant());
                continue;
            }
            try
            {
                ImageReference reference = ImageReference.Parse(line);
                if (reference.Digest is not null && reference.Tag is null && DigestPattern().IsMatch(reference.Digest))
                {
                    pinned.Add(Key(reference, reference.Digest));
                    continue;
                }
            }
            catch (ImageResolutionException)
            {
            }
            return previous with { Problem = $"the allow-list {path} line {i + 1} is not `sha256:<64 hex>` or `repository@sha256:<64 hex>`: '{line}'" + (previous.Problem is null ? "; its previous content is in force" : "") };
        }
        return new Snapshot(digests, pinned, null);
    }

    private static string Key(ImageReference reference, string digest) => $"{reference.Registry}/{reference.Repository}@{digest.ToLowerInvariant()}";

    [GeneratedRegex("^sha256:[0-9a-fA-F]{64}$")]
    private static partial Regex DigestPattern();

    /// <param name="Problem">Why the file in force is not the file on disk (or that none could be read), else null.</param>
    public sealed record Snapshot(IReadOnlySet<string> Digests, IReadOnlySet<string> Pinned, string? Problem)
    {
        public int Count => Digests.Count + Pinned.Count;

        /// <summary>Whether the image, resolved to these digests, is listed.</summary>
        public bool Allows(ImageReference image, IEnumerable<string> digests) => digests.Any(d =>
            Digests.Contains(d.ToLowerInvariant()) || Pinned.Contains(Key(image, d)));
    }
}
