using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Hashes the baseline's executables once it is recorded, behind the workload. A hash only counts if the
/// file still has its baseline signature before and after it is read: then the bytes hashed are
/// the image's. A file that changed first gets no hash, and drift prevention treats any later
/// change to it as drift (its original content is unknowable).
/// </summary>
internal sealed class BaselineHasher(ImageBaseline baseline)
{
    public int Hashed { get; private set; }

    public int Unavailable { get; private set; }

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
            if (FileSignature.TryRead(fd, out var before) != 0 || !before.IsUntouchedSince(entry.Signature))
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
            if (FileSignature.TryRead(fd, out var after) != 0 || !after.IsUntouchedSince(entry.Signature))
            {
                MarkUnavailable(entry, "changed while it was being hashed");
                return;
            }
            entry.SetHash(hash);
            Hashed++;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private void MarkUnavailable(BaselineEntry entry, string reason)
    {
        entry.SetHashUnavailable(reason);
        Unavailable++;
    }
}
