using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// A thread of PID 1 that does nothing but act for a workload caller: it takes the caller's root,
/// working directory and credentials (fsuid, fsgid, supplementary groups, effective
/// capabilities), does what it is given, and takes its own back. Everything it changes is its
/// own: it unshared its filesystem context (root and cwd) at start, and it changes credentials
/// by raw syscalls, which change the calling thread only (glibc's wrappers would change every
/// thread of PID 1). It never starts a thread (a new thread inherits the creator's credentials
/// and root) and never writes the audit log; it is handed one job at a time by the notify loop,
/// which waits for it. After each job it checks that it is itself again; if it is not, it
/// refuses every later job (the guard then fails closed).
/// </summary>
internal sealed unsafe class StandInThread
{
    // One job at a time, handed over under this monitor (no disposable wait handles: the thread lives as long as PID 1).
    private readonly object _handOver = new();
    private bool _pending;
    private Func<object?>? _job;
    private object? _result;
    private Exception? _failure;
    private string? _broken;

    // Its own credentials, captured at start.
    private uint _ownFsUid, _ownFsGid;
    private uint[] _ownGroups = [];
    private Libc.cap_user_data _ownLow, _ownHigh;
    private int _ownRoot = -1;
    private bool _chrooted, _assumed;
    private volatile int _threadId = -1;

    public StandInThread(string name)
    {
        // PID 1's credentials are its threads' (none changes its own but this one).
        _ownFsUid = (uint)Libc.Syscall6(Libc.SYS_setfsuid, -1, 0, 0, 0, 0, 0);   // -1 changes nothing and answers the current one
        _ownFsGid = (uint)Libc.Syscall6(Libc.SYS_setfsgid, -1, 0, 0, 0, 0, 0);
        _ownGroups = GetGroups();
        (_ownLow, _ownHigh) = GetCapabilities();
        _ownRoot = NativePath.Open("/", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (_ownRoot < 0)
            throw new SystemCallException("open /", Libc.LastErrno);
        NamedThread.Start(name, Run);
    }

    /// <summary>
    /// Whether PID 1 can resolve and act for this caller on the notify loop's thread as it is:
    /// same root, and the same credentials as far as the attribute calls can tell (the fs ids,
    /// the groups, <see cref="FileCapabilities"/>). The common case: a root workload in PID 1's
    /// root, which then costs no thread's wake-up. CAP_SYS_PTRACE, which the workload usually
    /// lacks and PID 1 holds, decides only whether another process's /proc links may be
    /// followed: the resolver hands any walk through a /proc symlink to this thread.
    /// </summary>
    public bool ActsAsItself(CallerCredentials caller, int rootFd) => SameCredentials(caller, FileCapabilities) && SameFile(rootFd, _ownRoot);

    private bool SameCredentials(CallerCredentials caller, ulong capabilities) =>
        caller.FsUid == _ownFsUid && caller.FsGid == _ownFsGid && caller.Groups.Order().SequenceEqual(_ownGroups.Order()) &&
        (caller.Effective & capabilities) == (((ulong)_ownHigh.effective << 32 | _ownLow.effective) & capabilities);

    /// <summary>Whether an operation on an already resolved file may run on any thread as it is (see <see cref="ActsAsItself"/>).</summary>
    public bool OperatesAsItself(CallerCredentials caller) => SameCredentials(caller, FileCapabilities);

    /// <summary>
    /// The capabilities chmod, chown, setxattr, removexattr and path lookup check: CAP_CHOWN,
    /// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID (the set-id bits kept),
    /// CAP_SYS_ADMIN (trusted.* and security.ima xattrs), CAP_SETFCAP (security.capability),
    /// CAP_MAC_OVERRIDE and CAP_MAC_ADMIN (LSM labels); and nothing else but CAP_SYS_PTRACE for
    /// /proc's links (see <see cref="ActsAsItself"/>).
    /// </summary>
    public const ulong FileCapabilities = 1UL << 0 | 1UL << 1 | 1UL << 2 | 1UL << 3 | 1UL << 4 | 1UL << 21 | 1UL << 31 | 1UL << 32 | 1UL << 33;

    /// <summary>Runs <paramref name="job"/> on the stand-in thread and waits for it. Not reentrant: one caller at a time.</summary>
    public T Do<T>(Func<T> job)
    {
        if (Environment.CurrentManagedThreadId == _threadId)
            throw new InvalidOperationException("the stand-in thread cannot wait for itself");
        lock (_handOver)
        {
            _job = () => job();
            _pending = true;
            Monitor.PulseAll(_handOver);
            while (_pending)
                Monitor.Wait(_handOver);
        }
        if (_failure is { } failure)
        {
            _failure = null;
            throw new InvalidOperationException(failure.Message, failure);
        }
        return (T)_result!;
    }

    private void Run()
    {
        _threadId = Environment.CurrentManagedThreadId;
        try
        {
            Start();
        }
        catch (Exception e)
        {
            _broken = $"the stand-in thread could not start: {e.Message}";
        }
        while (true)
        {
            lock (_handOver)
            {
                while (!_pending)
                    Monitor.Wait(_handOver);
            }
            try
            {
                if (_broken is not null)
                    throw new InvalidOperationException(_broken);
                _result = _job!();
            }
            catch (Exception e)
            {
                _failure = e;
            }
            lock (_handOver)
            {
                _pending = false;
                Monitor.PulseAll(_handOver);
            }
        }
    }

    private static void Start()
    {
        // Its own root and cwd from now on: chroot and fchdir here move nobody else.
        if (Libc.Syscall6(Libc.SYS_unshare, Libc.CLONE_FS, 0, 0, 0, 0, 0) != 0)
            throw new SystemCallException("unshare(CLONE_FS)", Libc.LastErrno);
    }

    /// <summary>
    /// The thread's root becomes the caller's (an fd of its /proc/TID/root). 0 or an errno. It
    /// changes only when the caller's is another (a chroot'ed caller): the same root is the
    /// common case, and costs no chroot (nor CAP_SYS_CHROOT). The cwd is passed to the resolver.
    /// </summary>
    public int EnterRootOf(int rootFd)
    {
        if (!SameFile(rootFd, _ownRoot))
        {
            if (Libc.Syscall6(Libc.SYS_fchdir, rootFd, 0, 0, 0, 0, 0) != 0)
                return Libc.LastErrno;
            fixed (byte* dot = ".\0"u8)
            {
                if (Libc.Syscall6(Libc.SYS_chroot, (long)dot, 0, 0, 0, 0, 0) != 0)
                    return Libc.LastErrno;
            }
            _chrooted = true;
        }
        return 0;
    }

    /// <summary>Back to PID 1's own root (and cwd at it), where /proc/thread-self is PID 1's /proc.</summary>
    public void LeaveRoot()
    {
        bool back = true;
        if (_chrooted)
        {
            back = Libc.Syscall6(Libc.SYS_fchdir, _ownRoot, 0, 0, 0, 0, 0) == 0;
            fixed (byte* dot = ".\0"u8)
                back &= Libc.Syscall6(Libc.SYS_chroot, (long)dot, 0, 0, 0, 0, 0) == 0;
            _chrooted = false;
        }
        if (!back)
            Break($"could not return to its own root: {Libc.DescribeErrno(Libc.LastErrno)}");
    }

    // The same directory on the same mount (a bind mount of it is another root).
    private static bool SameFile(int a, int b)
    {
        Libc.statx x, y;
        fixed (byte* empty = "\0"u8)
        {
            return Libc.Statx(a, empty, Libc.AT_EMPTY_PATH, NativePath.StatxMask, &x) == 0 &&
                Libc.Statx(b, empty, Libc.AT_EMPTY_PATH, NativePath.StatxMask, &y) == 0 &&
                x.stx_ino == y.stx_ino && x.stx_dev_major == y.stx_dev_major && x.stx_dev_minor == y.stx_dev_minor && x.stx_mnt_id == y.stx_mnt_id;
        }
    }

    /// <summary>
    /// Takes the caller's credentials: groups and fsgid while it still holds CAP_SETGID, then
    /// fsuid (leaving 0 clears the filesystem capabilities), then exactly the caller's effective
    /// capabilities (those PID 1 does not hold itself it cannot take: see docs/limits.md).
    /// </summary>
    public void Assume(CallerCredentials caller)
    {
        // A caller with PID 1's very credentials (root, all of PID 1's capabilities: the common
        // case) needs no change, and PID 1 without CAP_SETUID could make none.
        _assumed = !SameCredentials(caller, ulong.MaxValue);
        if (!_assumed)
            return;
        fixed (uint* groups = caller.Groups)
        {
            if (Libc.Syscall6(Libc.SYS_setgroups, caller.Groups.Length, (long)groups, 0, 0, 0, 0) != 0)
                throw new SystemCallException("setgroups", Libc.LastErrno);
        }
        Libc.Syscall6(Libc.SYS_setfsgid, caller.FsGid, 0, 0, 0, 0, 0);
        Libc.Syscall6(Libc.SYS_setfsuid, caller.FsUid, 0, 0, 0, 0, 0);
        var low = _ownLow with { effective = (uint)caller.Effective & _ownLow.permitted };
        var high = _ownHigh with { effective = (uint)(caller.Effective >> 32) & _ownHigh.permitted };
        SetCapabilities(low, high);
        // setfsuid answers the old value whether or not it changed anything: ask again.
        if ((uint)Libc.Syscall6(Libc.SYS_setfsuid, -1, 0, 0, 0, 0, 0) != caller.FsUid ||
            (uint)Libc.Syscall6(Libc.SYS_setfsgid, -1, 0, 0, 0, 0, 0) != caller.FsGid)
        {
            Restore();
            throw new InvalidOperationException($"could not take the caller's fsuid {caller.FsUid} and fsgid {caller.FsGid} (does PID 1 hold CAP_SETUID and CAP_SETGID?)");
        }
    }

    /// <summary>Takes its own credentials back, and checks that it has.</summary>
    public void Restore()
    {
        if (!_assumed)
            return;
        _assumed = false;
        // Its own effective set first: CAP_SETGID and CAP_SETUID for what follows.
        SetCapabilities(_ownLow, _ownHigh);
        fixed (uint* groups = _ownGroups)
            Libc.Syscall6(Libc.SYS_setgroups, _ownGroups.Length, (long)groups, 0, 0, 0, 0);
        Libc.Syscall6(Libc.SYS_setfsgid, _ownFsGid, 0, 0, 0, 0, 0);
        Libc.Syscall6(Libc.SYS_setfsuid, _ownFsUid, 0, 0, 0, 0, 0);
        // Back to fsuid 0 raised the filesystem capabilities from the permitted set: set exactly its own again.
        SetCapabilities(_ownLow, _ownHigh);
        (Libc.cap_user_data low, Libc.cap_user_data high) = GetCapabilities();
        if ((uint)Libc.Syscall6(Libc.SYS_setfsuid, -1, 0, 0, 0, 0, 0) != _ownFsUid ||
            (uint)Libc.Syscall6(Libc.SYS_setfsgid, -1, 0, 0, 0, 0, 0) != _ownFsGid ||
            !GetGroups().SequenceEqual(_ownGroups) || !Same(low, _ownLow) || !Same(high, _ownHigh))
        {
            Break("could not take its own credentials back");
        }
    }

    private static bool Same(Libc.cap_user_data a, Libc.cap_user_data b) =>
        a.effective == b.effective && a.permitted == b.permitted && a.inheritable == b.inheritable;

    private void Break(string reason)
    {
        _broken = reason;
        throw new InvalidOperationException(reason);
    }

    private static uint[] GetGroups()
    {
        long count = Libc.Syscall6(Libc.SYS_getgroups, 0, 0, 0, 0, 0, 0);
        if (count < 0)
            throw new SystemCallException("getgroups", Libc.LastErrno);
        uint[] groups = new uint[count];
        fixed (uint* p = groups)
        {
            if (count > 0 && Libc.Syscall6(Libc.SYS_getgroups, count, (long)p, 0, 0, 0, 0) != count)
                throw new SystemCallException("getgroups", Libc.LastErrno);
        }
        return groups;
    }

    private static (Libc.cap_user_data Low, Libc.cap_user_data High) GetCapabilities()
    {
        var header = new Libc.cap_user_header { version = Libc._LINUX_CAPABILITY_VERSION_3 };
        Libc.cap_user_data* data = stackalloc Libc.cap_user_data[2];
        if (Libc.Syscall6(Libc.SYS_capget, (long)&header, (long)data, 0, 0, 0, 0) != 0)
            throw new SystemCallException("capget", Libc.LastErrno);
        return (data[0], data[1]);
    }

    // pid 0: the calling thread, whose credentials alone change.
    private static void SetCapabilities(Libc.cap_user_data low, Libc.cap_user_data high)
    {
        var header = new Libc.cap_user_header { version = Libc._LINUX_CAPABILITY_VERSION_3 };
        Libc.cap_user_data* data = stackalloc Libc.cap_user_data[2];
        data[0] = low;
        data[1] = high;
        if (Libc.Syscall6(Libc.SYS_capset, (long)&header, (long)data, 0, 0, 0, 0) != 0)
            throw new SystemCallException("capset", Libc.LastErrno);
    }
}
