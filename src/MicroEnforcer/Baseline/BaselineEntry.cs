namespace MicroEnforcer.Baseline;

/// <summary>An executable file of the image, as found at start: a view of one row of the <see cref="ImageBaseline"/>.</summary>
internal readonly struct BaselineEntry(ImageBaseline baseline, int index)
{
    public string Path => baseline.PathOf(index);

    public FileSignature Signature => baseline.SignatureOf(index);

    /// <summary>
    /// The walk found this executable already changed since the start (its ctime is later than the
    /// <see cref="StartMark"/>): whatever is at this path now, the image's content is unknown.
    /// </summary>
    public bool ChangedBeforeRecorded => baseline.ChangedBeforeRecordedAt(index);

    /// <summary>
    /// The content hash, taken by <see cref="BaselineHasher"/> only while the file still had its
    /// baseline signature (so it is the image's content); null until then.
    /// </summary>
    public ContentHash? Hash => baseline.HashOf(index);

    /// <summary>Why no hash exists (the file changed before it could be hashed), or null.</summary>
    public string? HashUnavailableReason => baseline.HashUnavailableReasonOf(index);

    /// <summary>
    /// Why this entry's record or hash, which rested on the <see cref="ContentStamps"/>, was
    /// withdrawn (a process ran outside the filter while they vouched); null if it was not.
    /// </summary>
    public string? RevokedReason => baseline.RevokedReasonOf(index);

    internal bool SetHash(ContentHash hash) => baseline.SetHash(index, hash);

    internal void MarkByStamps() => baseline.MarkByStamps(index);

    internal void SetHashUnavailable(string reason) => baseline.SetHashUnavailable(index, reason);
}
