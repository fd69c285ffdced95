using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// The moment the workload started, as the root filesystem's change times see it. The baseline is
/// recorded behind the workload, not before it (a walk of 100,000 files takes most of a second),
/// so what proves that a file the walk finds is the image's is its ctime: the kernel sets it to
/// the current time on every change to the inode (write, truncate, chmod, chown, link, rename,
/// an overlay copy-up makes a new inode), and userspace cannot set it. A file on the root mount
/// whose ctime is earlier than the mark has not changed since the workload started.
///
/// Three things would break that, and each is handled:
/// <list type="bullet">
/// <item>The clock read is the one the kernel stamps with: CLOCK_REALTIME_COARSE (a change in the
/// same tick as the mark gets the mark's own time, which is not earlier). Fine-grained stamps
/// (multigrain timestamps) are never earlier than the coarse clock.</item>
/// <item>Only a local filesystem is stamped with this kernel's clock: NFS, CIFS, 9p, FUSE and
/// virtiofs take ctimes from another machine's clock. The mark vouches for nothing elsewhere
/// (<see cref="CannotVouchReason"/>), and the baseline is then recorded before the workload
/// starts, as it always was. On the local ones (overlayfs over them, tmpfs, ext2/3/4, xfs,
/// btrfs, f2fs) a filesystem coarser than a nanosecond truncates stamps: a change just after the
/// mark could be stamped in the same second, before it. So the mark is moved back to its whole
/// second wherever the root directory's own ctime has no nanoseconds (ext4 with 128-byte inodes
/// stamps whole seconds; a nanosecond stamp is 0 once in a billion, and then the mark is merely
/// a second early).</item>
/// <item>The clock may be set after the mark (an NTP step backwards would stamp later changes
/// earlier). A timerfd armed with TFD_TIMER_CANCEL_ON_SET reports any set; from then on
/// nothing is proven by a ctime (<see cref="ClockWasSet"/>). Without the timerfd the mark
/// vouches for nothing.</item>
/// </list>
/// </summary>
internal sealed class StartMark : IDisposable
{
    private readonly Lock _clockLock = new();
    private int _clockWatchFd;
    private bool _clockSet;

    private StartMark(ulong rootMountId, long seconds, long nanoseconds, int clockWatchFd, bool exact, string? cannotVouchReason,
        string? mtimesCannotVouchReason = null)
    {
        CannotVouchReason = cannotVouchReason;
        MtimesCannotVouchReason = cannotVouchReason ?? mtimesCannotVouchReason;
        RootMountId = rootMountId;
        Seconds = seconds;
        Nanoseconds = nanoseconds;
        _clockWatchFd = clockWatchFd;
        _clockSet = clockWatchFd < 0;
        IsExact = exact;
    }

    /// <summary>The mount the image is: files on any other (volumes, tmpfs) are never image files.</summary>
    public ulong RootMountId { get; }

    public long Seconds { get; }

    public long Nanoseconds { get; }

    /// <summary>False when the root filesystem's stamps may be coarser than a nanosecond (the mark is then its whole second).</summary>
    public bool IsExact { get; }

    /// <summary>Why no ctime can be trusted against this mark (the root filesystem, or no clock watch); null when it can.</summary>
    public string? CannotVouchReason { get; }

    /// <summary>
    /// Why no mtime can be trusted to say that a file's content is unchanged since the mark (see
    /// <see cref="ContentStamps"/>); null when it can. Besides everything that stops ctimes, tmpfs:
    /// a write through a shared mapping whose page was first faulted in for reading updates no
    /// mtime there.
    /// </summary>
    public string? MtimesCannotVouchReason { get; }

    /// <summary>
    /// Takes the mark for the filesystem <paramref name="rootFd"/> is on. Called just before the
    /// workload is started: nothing of the container has run yet.
    /// </summary>
    public static unsafe StartMark Take(int rootFd)
    {
        int errno = FileSignature.TryRead(rootFd, out FileSignature root);
        if (errno != 0)
            throw new SystemCallException("statx of the root", errno);
        if (root.MountId == 0)
            throw new SystemCallException("statx of the root (no mount id)", Libc.ENOSYS);
        Libc.statfs fs;
        long type = Libc.FStatFs(rootFd, &fs) == 0 ? fs.f_type : 0;
        bool local = type is Libc.OVERLAYFS_SUPER_MAGIC or Libc.TMPFS_MAGIC or Libc.EXT4_SUPER_MAGIC or Libc.XFS_SUPER_MAGIC
            or Libc.BTRFS_SUPER_MAGIC or Libc.F2FS_SUPER_MAGIC;
        bool exact = local && root.CtimeNsec != 0;

        // Armed before the clock is read: a set in between counts as a set after the mark.
        int watch = WatchForClockSets();
        Libc.timespec now;
        if (Libc.ClockGetTime(Libc.CLOCK_REALTIME_COARSE, &now) != 0)
            throw new SystemCallException("clock_gettime(CLOCK_REALTIME_COARSE)", Libc.LastErrno);
        string? cannotVouch = !local
            ? $"the root filesystem (type 0x{type:x}) is not a local one stamped with this kernel's clock"
            : watch < 0 ? "the system clock cannot be watched for sets (timerfd refused)" : null;
        string? mtimesCannotVouch = type == Libc.TMPFS_MAGIC
            ? "the root filesystem is tmpfs, where a write through a shared mapping may not update the mtime"
            : null;
        return new StartMark(root.MountId, now.tv_sec, exact ? now.tv_nsec : 0, watch, exact, cannotVouch, mtimesCannotVouch);
    }

    /// <summary>A timerfd that reads ECANCELED once CLOCK_REALTIME has been set; -1 if the kernel refuses one.</summary>
    private static unsafe int WatchForClockSets()
    {
        int fd = Libc.TimerFdCreate(Libc.CLOCK_REALTIME, Libc.TFD_CLOEXEC | Libc.TFD_NONBLOCK);
        if (fd < 0)
            return -1;
        Libc.timespec now;
        Libc.ClockGetTime(Libc.CLOCK_REALTIME, &now);
        // Expires in a century: it exists only to be cancelled by a clock set.
        var never = new Libc.itimerspec { it_value = new Libc.timespec { tv_sec = now.tv_sec + 100L * 365 * 24 * 3600 } };
        if (Libc.TimerFdSetTime(fd, Libc.TFD_TIMER_ABSTIME | Libc.TFD_TIMER_CANCEL_ON_SET, &never, null) != 0)
        {
            Libc.Close(fd);
            return -1;
        }
        return fd;
    }

    /// <summary>
    /// Whether the system clock has been set since the mark (or could not be watched): then no
    /// ctime proves anything any more. Sticky: a read of the timerfd reports a set only once.
    /// Ask it after reading the ctimes it is to vouch for.
    /// </summary>
    public unsafe bool ClockWasSet()
    {
        lock (_clockLock)
        {
            if (_clockSet)
                return true;
            ulong expirations;
            if (Libc.Read(_clockWatchFd, (byte*)&expirations, sizeof(ulong)) < 0 && Libc.LastErrno == Libc.ECANCELED)
                _clockSet = true;
            return _clockSet;
        }
    }

    /// <summary>Whether a ctime is earlier than the mark (so the inode has not changed since).</summary>
    public bool IsBefore(long ctimeSeconds, uint ctimeNanoseconds) =>
        ctimeSeconds < Seconds || (ctimeSeconds == Seconds && ctimeNanoseconds < Nanoseconds);

    /// <summary>
    /// The file is on the root mount and has not changed since the mark: it is exactly as the
    /// image had it when the workload started (under some name: a directory renamed since keeps
    /// its files' ctimes).
    /// </summary>
    public bool ProvesUntouched(in FileSignature file) =>
        CannotVouchReason is null && file.MountId == RootMountId && IsBefore(file.CtimeSec, file.CtimeNsec) && !ClockWasSet();

    public void Dispose()
    {
        lock (_clockLock)
        {
            if (_clockWatchFd >= 0)
                Libc.Close(_clockWatchFd);
            _clockWatchFd = -1;
            _clockSet = true;
        }
    }
}
