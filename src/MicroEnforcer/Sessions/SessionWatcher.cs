using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Sessions;

/// <summary>
/// Finds processes that entered the container from outside: `podman exec`, `docker exec` and
/// `kubectl exec` start a process by setns() into the container's namespaces, so it is no
/// descendant of PID 1 and carries neither the workload's filter nor a tracer. No event tells a
/// process in the container about it (the proc connector and fanotify need privileges a
/// container does not have), so this thread looks: every interval it reads the pid namespace's
/// last allocated pid (one pread), and only when that changed does it list /proc and read the
/// status of the processes it has not seen before.
///
/// Which processes count as newcomers is <see cref="Newcomer"/>'s to say.
///
/// The runtime's own process (runc init) appears in the container some 20-30 ms before it execs
/// the session's command (measured with podman and runc here), so at the default 5 ms interval the session
/// is normally seized before its command's first instruction; its command is then decided at its
/// exec event, and gets the filter. What runs before the seize is the window this design cannot
/// close: `microenforcer exec` closes it, by joining before it execs.
/// </summary>
/// <param name="found">Told of each newcomer at every scan until it is resolved: its pid, why it is one, and when it was first seen (Environment.TickCount64).</param>
internal sealed class SessionWatcher(Action<int, string, long> found, TimeSpan interval, ILogger log)
{
    private readonly int _self = Libc.GetPid();
    private HashSet<int> _seen = [];
    private Dictionary<int, long> _unresolved = [];

    /// <summary>
    /// 5 ms, against the 20-30 ms runc takes from entering to exec. Each wakeup costs a timer and
    /// a context switch: measured on a shared 2-core VM, PID 1 idle used about 1.9% of a core at
    /// 2 ms and 1.3% at 5 ms (0.05% with --no-exec-sessions). `run --exec-session-interval` sets it.
    /// </summary>
    public const int DefaultIntervalMs = 5;

    public void Start()
    {
        NamedThread.Start("session-watch", Run);
        Log.SessionWatchStarted(log, (int)interval.TotalMilliseconds);
    }

    private unsafe void Run()
    {
        int lastPidFd;
        fixed (byte* path = "/proc/sys/kernel/ns_last_pid\0"u8)
            lastPidFd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        long lastPid = -1;
        byte* buffer = stackalloc byte[32];
        while (true)
        {
            if (lastPidFd >= 0)
            {
                nint n = Libc.PRead(lastPidFd, buffer, 31, 0);
                long current = n > 0 ? ParseLong(new ReadOnlySpan<byte>(buffer, (int)n)) : -2;
                if (current == lastPid && _unresolved.Count == 0)
                {
                    Libc.Sleep(interval);
                    continue;
                }
                lastPid = current;   // before the scan: a pid allocated during it changes it again
            }
            try
            {
                Scan();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // /proc changes under the scan; the next one sees it again
            }
            Libc.Sleep(interval);
        }
    }

    // A newcomer stays unresolved (looked at again at every scan, and reported again) until it is
    // traced or carries the filter: a seize can fail for a while (runc init is not dumpable until
    // it execs; `microenforcer exec` joins by itself a moment after it starts).
    private void Scan()
    {
        List<int> processes = ProcTasks.Processes();
        var seen = new HashSet<int>(processes.Count);
        var unresolved = new Dictionary<int, long>();
        foreach (int pid in processes)
        {
            if (pid == _self || _seen.Contains(pid))
            {
                seen.Add(pid);
                continue;
            }
            if (ProcStatus.Read(pid) is not { } status || status.IsZombie || status.TracerPid != 0)
            {
                seen.Add(pid);
                continue;
            }
            if (Newcomer.Reason(status) is not { } reason)
            {
                seen.Add(pid);
                continue;
            }
            long firstSeen = _unresolved.TryGetValue(pid, out long t) ? t : Environment.TickCount64;
            unresolved[pid] = firstSeen;
            found(pid, reason, firstSeen);
        }
        _seen = seen;
        _unresolved = unresolved;
    }

    private static long ParseLong(ReadOnlySpan<byte> text)
    {
        long value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
                break;
            value = value * 10 + (b - '0');
        }
        return value;
    }
}
