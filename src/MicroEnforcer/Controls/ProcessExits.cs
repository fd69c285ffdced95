using System.Diagnostics;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Forensics' watch on process exits: a pidfd of each started process (taken at its exec event,
/// while the tracer holds it stopped, so it is that very process), all in one epoll set waited on
/// by the thread "forensics". A pidfd becomes readable when its process has exited. The status is
/// then read through the pidfd once the process is reaped (PIDFD_INFO_EXIT, Linux 6.15), from
/// /proc/PID/stat while it is a zombie, or from PID 1's reaper for its own children and orphans
/// (<see cref="Reaped"/>). Only on a kernel before 6.15, one reaped by another parent before this
/// thread looked has status "unknown". At most <c>maxTracked</c> processes are watched; beyond that, a start is still
/// reported but not its exit (the start event says so).
/// The same thread ends the connection aggregator's intervals (<c>tick</c>): no timer, no task pool.
/// </summary>
internal sealed class ProcessExits : IDisposable
{
    // How long an exit whose process was already reaped waits for the reaper's status.
    private const long ReaperGraceMs = 200;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly int _maxTracked;
    private readonly Action<Exit> _exited;
    private readonly Func<long> _tick;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Tracked> _byFd = [];
    private readonly Dictionary<int, int> _fdByPid = [];
    private readonly Dictionary<int, int> _reaped = [];   // pid -> wait status, for watched pids only
    private readonly List<(Tracked Process, int Pidfd, long ExitedMs, long Deadline)> _awaitingReaper = [];
    private volatile bool _stopping;
    private readonly ManualResetEventSlim _stopped = new();

    /// <param name="exited">Told of every exit, on the thread.</param>
    /// <param name="tick">Called on every wake; returns the milliseconds until it wants to be called again.</param>
    public ProcessExits(int maxTracked, Action<Exit> exited, Func<long> tick)
    {
        _maxTracked = maxTracked;
        _exited = exited;
        _tick = tick;
        _epoll = Libc.EpollCreate1(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
            throw new SystemCallException("epoll_create1", Libc.LastErrno);
        _wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.O_NONBLOCK);
        if (_wake < 0)
            throw new SystemCallException("eventfd", Libc.LastErrno);
        Add(_wake);
        NamedThread.Start("forensics", Run);
    }

    /// <summary>A process that started (exec'd) and is watched, with what its exit event repeats.</summary>
    internal sealed record Tracked(int Pid, long StartedMs, int? PPid, int? Uid, string Exe, string? Cmdline);

    /// <param name="Status">The wait status, or null: unknown.</param>
    internal sealed record Exit(Tracked Process, int? Status, long LifetimeMs);

    public static long NowMs() => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;

    /// <summary>Watches <paramref name="process"/>. Null if it is, or was just, watched; otherwise why not (a reason for the start event).</summary>
    public string? Track(Tracked process)
    {
        lock (_lock)
        {
            if (_fdByPid.ContainsKey(process.Pid))
                return null;   // an exec in a process already watched: its lifetime runs from its first
            if (_byFd.Count >= _maxTracked)
                return $"its exit will not be reported: {_maxTracked} processes are watched already";
            int pidfd = (int)Libc.Raw(Libc.SYS_pidfd_open, process.Pid, 0);
            if (pidfd < 0)
                return $"its exit will not be reported: pidfd_open: {Libc.DescribeErrno(-pidfd)}";
            _byFd[pidfd] = process;
            _fdByPid[process.Pid] = pidfd;
            Add(pidfd);
            return null;
        }
    }

    /// <summary>The reaper reaped <paramref name="pid"/> with <paramref name="status"/> (PID 1's children and orphans). Any thread; cheap.</summary>
    public void Reaped(int pid, int status)
    {
        lock (_lock)
        {
            if (_fdByPid.ContainsKey(pid) || _awaitingReaper.Any(a => a.Process.Pid == pid))
                _reaped[pid] = status;
        }
    }

    /// <summary>Wakes the thread now (a new aggregation interval to time).</summary>
    public unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, sizeof(ulong));
    }

    private unsafe void Add(int fd)
    {
        var ev = new Libc.epoll_event { events = Libc.EPOLLIN, data = (ulong)fd };
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, &ev) < 0)
            throw new SystemCallException("epoll_ctl", Libc.LastErrno);
    }

    private unsafe void Run()
    {
        const int Batch = 64;
        var events = stackalloc Libc.epoll_event[Batch];
        try
        {
            Watch(events, Batch);
        }
        finally
        {
            _stopped.Set();
        }
    }

    private unsafe void Watch(Libc.epoll_event* events, int batch)
    {
        var exits = new List<Exit>();
        bool last = false;
        while (!last)
        {
            long timeout = Math.Clamp(Safely(_tick, 1000), 1, 60_000);
            lock (_lock)
            {
                if (_awaitingReaper.Count > 0)
                    timeout = Math.Min(timeout, 20);
            }
            // Stopping (the workload has exited): one more look, without waiting, at what has exited already.
            last = _stopping;
            int n = Libc.EpollWait(_epoll, events, batch, last ? 0 : (int)timeout);
            if (n < 0 && Libc.LastErrno != Libc.EINTR)
                return;
            long now = NowMs();
            lock (_lock)
            {
                for (int i = 0; i < n; i++)
                {
                    int fd = (int)events[i].data;
                    if (fd == _wake)
                    {
                        ulong counter;
                        Libc.Read(_wake, (byte*)&counter, sizeof(ulong));
                        continue;
                    }
                    if (!_byFd.Remove(fd, out Tracked? process))
                        continue;
                    _fdByPid.Remove(process.Pid);
                    Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, null);
                    // Reaped already: its pidfd says the status (6.15); a zombie: its /proc/PID/stat;
                    // reaped by PID 1: the reaper said it. Else it is being reaped: look again shortly.
                    int? status = Libc.PidfdExitStatus(fd) ?? ProcExitCode.Read(process.Pid);
                    if (_reaped.Remove(process.Pid, out int reaped))
                        status ??= reaped;
                    if (status is null)
                    {
                        _awaitingReaper.Add((process, fd, now, now + ReaperGraceMs));
                        continue;
                    }
                    Libc.Close(fd);
                    exits.Add(new Exit(process, status, now - process.StartedMs));
                }
                for (int i = _awaitingReaper.Count - 1; i >= 0; i--)
                {
                    (Tracked process, int pidfd, long exitedMs, long deadline) = _awaitingReaper[i];
                    int? status = Libc.PidfdExitStatus(pidfd) ?? ProcExitCode.Read(process.Pid);
                    if (_reaped.Remove(process.Pid, out int reaped))
                        status ??= reaped;
                    if (status is null && now < deadline && !last)
                        continue;
                    _awaitingReaper.RemoveAt(i);
                    Libc.Close(pidfd);
                    exits.Add(new Exit(process, status, exitedMs - process.StartedMs));
                }
            }
            foreach (Exit exit in exits)
                Safely(() => { _exited(exit); return 0; }, 0);
            exits.Clear();
        }
    }

    /// <summary>
    /// The workload has exited: reports the exits already seen (the workload's own among them:
    /// the reaper gave its status before it said the workload ended), then the thread ends.
    /// </summary>
    // A report that fails (a write error) must not end the thread, nor PID 1 with it.
    private static long Safely(Func<long> report, long fallback)
    {
        try
        {
            return report();
        }
        catch (Exception)
        {
            return fallback;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        _stopped.Wait(TimeSpan.FromSeconds(2));
    }
}
