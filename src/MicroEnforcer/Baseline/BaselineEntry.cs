namespace MicroEnforcer.Baseline;

/// <summary>An executable file of the image, as found at start.</summary>
internal sealed class BaselineEntry(string path, FileSignature signature)
{
    private const int Pending = 0, Hashed = 1, Unavailable = 2;

    // Written once by the hasher, then published by the volatile write of _state; readers on
    // other threads read _state first.
    private ContentHash _hash;
    private string? _unavailableReason;
    private volatile int _state = Pending;

    public string Path { get; } = path;

    public FileSignature Signature { get; } = signature;

    /// <summary>
    /// The content hash, taken by <see cref="BaselineHasher"/> only while the file still had its
    /// baseline signature (so it is the image's content); null until then.
    /// </summary>
    public ContentHash? Hash => _state == Hashed ? _hash : null;

    /// <summary>Why no hash exists (the file changed before it could be hashed), or null.</summary>
    public string? HashUnavailableReason => _state == Unavailable ? _unavailableReason : null;

    internal void SetHash(ContentHash hash)
    {
        _hash = hash;
        _state = Hashed;
    }

    internal void SetHashUnavailable(string reason)
    {
        _unavailableReason = reason;
        _state = Unavailable;
    }
}
