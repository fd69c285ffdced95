using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Hashes the baseline's executables once it is recorded, behind the workload. A hash only counts if the
/// bytes read are the image's: the file still has its baseline signature before and after it is
/// read, or only its metadata changed, which the <see cref="ContentStamps"/> vouch for (then the
/// entry is marked as resting on their word before the hash is published, so that it can be
/// withdrawn). A file whose content changed first gets no hash, and drift prevention treats any
/// later change to it as drift (its original content is unknowable).
/// </summary>
internal sealed class BaselineHasher(ImageBaseline baseline, ContentStamps? stamps = null)
{
    public int Hashed { get; private set; }

    public int Unavailable { get; private set; }

    /// <summary>Hashed on the word of the content stamps: only their metadata had changed since the start.</summary>
    public int ByStamps { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    /// <summary>Hashes every executable recorded as the image's, on the calling thread.</summary>
    public void Run()
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        foreach (BaselineEntry entry in baseline.Entries)
        {
            if (!entry.ChangedBeforeRecorded)
                HashOne(entry);
        }
        Elapsed = stopwatch.Elapsed;
    }

    private void HashOne(BaselineEntry entry)
    {
        int fd = NativePath.Open(entry.Path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        if (fd < 0)
        {
            MarkUnavailable(entry, $"cannot open for hashing: {Libc.DescribeErrno(Libc.LastErrno)}");
            return;
        }
        try
        {
            if (FileSignature.TryRead(fd, out var before) != 0 || !HoldsImageContent(entry, before))
            {
                MarkUnavailable(entry, "changed after start, before it was hashed");
                return;
            }
            int errno = ContentHash.TryCompute(fd, out ContentHash hash);
            if (errno != 0)
            {
                MarkUnavailable(entry, $"read failed while hashing: {Libc.DescribeErrno(errno)}");
                return;
            }
            if (FileSignature.TryRead(fd, out var after) != 0 || !HoldsImageContent(entry, after))
            {
                MarkUnavailable(entry, "changed while it was being hashed");
                return;
            }
            if (entry.SetHash(hash))
            {
                Hashed++;
                if (!after.IsUntouchedSince(entry.Signature))
                    ByStamps++;
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Untouched since recorded, or, on the stamps' word, changed in its metadata only (the entry is marked so first).</summary>
    private bool HoldsImageContent(BaselineEntry entry, in FileSignature now)
    {
        if (now.IsUntouchedSince(entry.Signature))
            return true;
        if (stamps is null || !stamps.Vouch(entry.Signature, now))
            return false;
        entry.MarkByStamps();
        return stamps.Active;   // retired meanwhile: the mark may have come too late for the revocation
    }

    private void MarkUnavailable(BaselineEntry entry, string reason)
    {
        entry.SetHashUnavailable(reason);
        Unavailable++;
    }
}
