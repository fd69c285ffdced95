using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// The image baseline, recorded behind the workload instead of before it: a walk of 100,000
/// files takes most of a second, and the workload's first instruction no longer waits for it.
/// The <see cref="StartMark"/> is taken just before the workload starts; then one thread of PID 1,
/// "baseline", walks the root filesystem (with helpers), publishes the baseline, and hashes it.
/// Until it is published, <see cref="Recorded"/> is null and exec decisions rest on the mark
/// (see <see cref="Controls.DriftPrevention"/>); anything the mark cannot vouch for waits.
/// </summary>
internal sealed class BaselineRecording : IDisposable
{
    private readonly string _root;
    private ImageBaseline? _recorded;

    private BaselineRecording(string root, StartMark mark)
    {
        _root = root;
        Mark = mark;
        Stamps = new ContentStamps(mark);
    }

    public StartMark Mark { get; }

    /// <summary>What vouches for image files whose metadata changed before they were hashed; retired once hashing is over.</summary>
    public ContentStamps Stamps { get; }

    /// <summary>The baseline once the walk has ended; null before.</summary>
    public ImageBaseline? Recorded => Volatile.Read(ref _recorded);

    /// <summary>Takes the start mark of the filesystem at <paramref name="root"/>: call it just before the workload starts.</summary>
    public static BaselineRecording Begin(string root)
    {
        int rootFd = NativePath.Open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0)
            throw new SystemCallException($"open {root}", Libc.LastErrno);
        try
        {
            return new BaselineRecording(root, StartMark.Take(rootFd));
        }
        finally
        {
            Libc.Close(rootFd);
        }
    }

    /// <summary>
    /// Walks and hashes on the "baseline" thread. <paramref name="recorded"/> runs once the
    /// baseline is published (also when the walk failed: then it is empty, and everything the
    /// mark does not vouch for is drift; <paramref name="failed"/> says why first).
    /// </summary>
    /// <param name="hashingOver">Runs last, whatever happened: the stamps are retired by then.</param>
    public void Start(IReadOnlySet<string> mountPoints, Action<string> warning, Action<Exception> failed,
        Action<ImageBaseline> recorded, Action<BaselineHasher> hashed, Action hashingOver)
    {
        ImageBaseline? before = Recorded;
        NamedThread.Start("baseline", () =>
        {
            ImageBaseline baseline;
            try
            {
                baseline = before ?? BaselineCapture.Capture(_root, mountPoints, Mark, warning, Stamps);
            }
            catch (Exception e)
            {
                failed(e);
                baseline = new ImageBaseline.Builder().Build(filesScanned: 0);
            }
            // The mark stays open: a decision that read Recorded as null just before may still ask it.
            Volatile.Write(ref _recorded, baseline);
            // RevokeStamps may have found no baseline to revoke in just before: then it is done here.
            Interlocked.MemoryBarrier();
            if (Stamps.Revoked)
                baseline.RevokeByStamps(Stamps.RetiredBecause!);
            try
            {
                recorded(baseline);
                var hasher = new BaselineHasher(baseline, Stamps);
                hasher.Run();
                hashed(hasher);
            }
            catch (Exception e)
            {
                // An exception here would end PID 1, and the workload with it. Without hashes,
                // a changed image binary is drift even if its content is the image's.
                failed(e);
            }
            finally
            {
                // Every file the stamps could vouch for has been hashed (or never will be):
                // from now on only hashes speak, and time calls need not wait.
                Stamps.Retire("the image baseline is hashed");
                hashingOver();
            }
        });
    }

    /// <summary>
    /// Records the baseline now, before the workload starts, as it was always done: where the
    /// mark cannot vouch for anything (<see cref="StartMark.CannotVouchReason"/>). Nothing runs
    /// in the container yet, so the walk takes the tree as it is. <see cref="Start"/> then only hashes.
    /// </summary>
    public void RecordBeforeStart(IReadOnlySet<string> mountPoints, Action<string> warning) =>
        Volatile.Write(ref _recorded, BaselineCapture.Capture(_root, mountPoints, mark: null, warning));

    /// <summary>
    /// A process ran in the container outside the filter (an exec session before PID 1 captured
    /// it): it could have set an mtime back unseen, so the stamps retire and everything recorded
    /// or hashed on their word so far is withdrawn. Nothing happens once they retired on their own.
    /// </summary>
    /// <returns>Whether this call revoked them.</returns>
    public bool RevokeStamps(string reason)
    {
        if (!Stamps.Revoke(reason))
            return false;
        Interlocked.MemoryBarrier();
        Recorded?.RevokeByStamps(reason);
        return true;
    }

    public void Dispose() => Mark.Dispose();
}
