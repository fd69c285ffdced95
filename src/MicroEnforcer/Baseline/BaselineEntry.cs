namespace MicroEnforcer.Baseline;

/// <summary>An executable file of the image, as found at start.</summary>
internal sealed class BaselineEntry(string path, FileSignature signature)
{
    private volatile ContentHash? _hash;

    public string Path { get; } = path;

    public FileSignature Signature { get; } = signature;

    /// <summary>
    /// The content hash, taken by <see cref="BaselineHasher"/> only while the file still had its
    /// baseline signature (so it is the image's content); null until then.
    /// </summary>
    public ContentHash? Hash => _hash;

    /// <summary>Why no hash exists (the file changed before it could be hashed), or null.</summary>
    public string? HashUnavailableReason { get; private set; }

    internal void SetHash(ContentHash hash) => _hash = hash;

    internal void SetHashUnavailable(string reason) => HashUnavailableReason = reason;
}
