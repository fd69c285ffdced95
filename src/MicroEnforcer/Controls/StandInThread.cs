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

    public StandInThread(string name)
    {
        NamedThread.Start(name, Run);
    }

    /// <summary>Runs <paramref name="job"/> on the stand-in thread and waits for it. Not reentrant: one caller at a time.</summary>
    public T Do<T>(Func<T> job)
    {
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

    private void Start()
    {
        // Its own root and cwd from now on: chroot and fchdir here move nobody else.
        if (Libc.Syscall6(Libc.SYS_unshare, Libc.CLONE_FS, 0, 0, 0, 0, 0) != 0)
            throw new SystemCallException("unshare(CLONE_FS)", Libc.LastErrno);
        _ownRoot = NativePath.Open("/", Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (_ownRoot < 0)
            throw new SystemCallException("open /", Libc.LastErrno);
        _ownFsUid = (uint)Libc.Syscall6(Libc.SYS_setfsuid, -1, 0, 0, 0, 0, 0);   // -1 changes nothing and answers the current one
        _ownFsGid = (uint)Libc.Syscall6(Libc.SYS_setfsgid, -1, 0, 0, 0, 0, 0);
        _ownGroups = GetGroups();
        (_ownLow, _ownHigh) = GetCapabilities();
    }

    /// <summary>The thread's root and cwd become the caller's (fds of its /proc/TID/root and cwd). 0 or an errno.</summary>
    public int EnterRootOf(int rootFd, int cwdFd)
    {
        if (Libc.Syscall6(Libc.SYS_fchdir, rootFd, 0, 0, 0, 0, 0) != 0)
            return Libc.LastErrno;
        fixed (byte* dot = ".\0"u8)
        {
            if (Libc.Syscall6(Libc.SYS_chroot, (long)dot, 0, 0, 0, 0, 0) != 0)
                return Libc.LastErrno;
        }
        return Libc.Syscall6(Libc.SYS_fchdir, cwdFd, 0, 0, 0, 0, 0) != 0 ? Libc.LastErrno : 0;
    }

    /// <summary>Back to PID 1's own root (and cwd at it), where /proc/thread-self is PID 1's /proc.</summary>
    public void LeaveRoot()
    {
        bool back = Libc.Syscall6(Libc.SYS_fchdir, _ownRoot, 0, 0, 0, 0, 0) == 0;
        fixed (byte* dot = ".\0"u8)
            back &= Libc.Syscall6(Libc.SYS_chroot, (long)dot, 0, 0, 0, 0, 0) == 0;
        if (!back)
            Break($"could not return to its own root: {Libc.DescribeErrno(Libc.LastErrno)}");
    }

    /// <summary>
    /// Takes the caller's credentials: groups and fsgid while it still holds CAP_SETGID, then
    /// fsuid (leaving 0 clears the filesystem capabilities), then exactly the caller's effective
    /// capabilities (those PID 1 does not hold itself it cannot take: see docs/limits.md).
    /// </summary>
    public void Assume(CallerCredentials caller)
    {
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
