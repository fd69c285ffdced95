using System.Collections.Concurrent;
using MicroEnforcer.Interop;
using MicroEnforcer.Ptrace;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Launcher;

/// <summary>
/// PID 1's one thread for process control. It is the only reaper (waitpid(-1, __WALL) also
/// collects tracee stops), the only ptrace caller (a tracee answers only to the thread that
/// seized it), and the receiver of every supervised signal (from a signalfd: the signals are
/// blocked in all threads). It sleeps in poll() on the signalfd and on an eventfd that the notify
/// loop uses to hand over seize requests.
/// </summary>
internal sealed partial class Supervisor : IDisposable
{
    private readonly Tracer _tracer;
    private readonly ILogger _log;
    private readonly bool _signalProcessGroup;
    private readonly ConcurrentQueue<SeizeRequest> _seizeRequests = new();
    private readonly ConcurrentQueue<Rendezvous> _reapRequests = new();
    private int _reaped;
    private readonly TaskCompletionSource<WorkloadExit> _workloadExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _signalFd;
    private readonly int _wakeFd;
    private int _workloadPid;

    public unsafe Supervisor(Tracer tracer, ILogger log, bool signalProcessGroup)
    {
        _tracer = tracer;
        _log = log;
        _signalProcessGroup = signalProcessGroup;
        var mask = new Libc.sigset_t { bits = SupervisedSignals.Mask };
        _signalFd = Libc.SignalFd(-1, &mask, Libc.SFD_CLOEXEC | Libc.O_NONBLOCK);
        if (_signalFd < 0)
            throw new SystemCallException("signalfd", Libc.LastErrno);
        _wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.O_NONBLOCK);
        if (_wakeFd < 0)
            throw new SystemCallException("eventfd", Libc.LastErrno);
    }

    public Task<WorkloadExit> WorkloadExit => _workloadExit.Task;

    /// <summary>Starts supervising; the workload is already forked. Until now its SIGCHLD waited
    /// in the signalfd, so nothing about it can have been missed.</summary>
    public void Start(int workloadPid)
    {
        _workloadPid = workloadPid;
        var thread = new Thread(Run) { IsBackground = true, Name = "supervisor" };
        thread.Start();
    }

    /// <summary>How many processes this supervisor has reaped so far.</summary>
    public int Reaped => Volatile.Read(ref _reaped);

    /// <summary>Called from the notify loop: seize <paramref name="tid"/> and wait for it. errno or 0.</summary>
    public int Seize(int tid, PendingExec pending)
    {
        var request = new SeizeRequest(tid, pending);
        _seizeRequests.Enqueue(request);
        Wake();
        return request.Done.Wait();
    }

    /// <summary>
    /// Called from the notify loop: reap every zombie that is ours now, and wait for it. Fork
    /// Guard asks before refusing a fork, so that children just killed and reparented to us
    /// (whose SIGCHLD we have not handled yet) do not count against the limit.
    /// </summary>
    public int ReapNow()
    {
        var request = new Rendezvous();
        _reapRequests.Enqueue(request);
        Wake();
        request.Wait();
        return Reaped;
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private unsafe void Run()
    {
        try
        {
            var fds = stackalloc Libc.pollfd[2];
            fds[0] = new Libc.pollfd { fd = _signalFd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _wakeFd, events = Libc.POLLIN };
            // The workload may have exited or stopped before this thread started.
            ReapAndCollectStops();
            while (true)
            {
                if (Libc.Poll(fds, 2, -1) < 0)
                {
                    if (Libc.LastErrno == Libc.EINTR)
                        continue;
                    throw new SystemCallException("poll", Libc.LastErrno);
                }
                if ((fds[1].revents & Libc.POLLIN) != 0)
                    ServeSeizeRequests();
                if ((fds[0].revents & Libc.POLLIN) != 0)
                    DrainSignals();
            }
        }
        catch (Exception e)
        {
            Log.SupervisorFailed(_log, e);
            _workloadExit.TrySetException(e);
        }
    }

    private unsafe void ServeSeizeRequests()
    {
        ulong counter;
        Libc.Read(_wakeFd, (byte*)&counter, sizeof(ulong));
        while (_seizeRequests.TryDequeue(out SeizeRequest? request))
            request.Done.Complete(_tracer.Seize(request.Tid, request.Pending));
        if (!_reapRequests.IsEmpty)
        {
            ReapAndCollectStops();
            while (_reapRequests.TryDequeue(out Rendezvous? reaped))
                reaped.Complete(0);
        }
    }

    private unsafe void DrainSignals()
    {
        Libc.signalfd_siginfo info;
        bool childEvent = false;
        while (Libc.Read(_signalFd, (byte*)&info, (nuint)sizeof(Libc.signalfd_siginfo)) == sizeof(Libc.signalfd_siginfo))
        {
            int signal = (int)info.ssi_signo;
            if (signal == SupervisedSignals.SIGCHLD)
                childEvent = true;
            else if (SupervisedSignals.Forwarded.Contains(signal))
                Forward(signal);
        }
        // SIGCHLDs coalesce: one wakeup may stand for many children, so always drain waitpid.
        if (childEvent)
            ReapAndCollectStops();
    }

    private void Forward(int signal)
    {
        int target = _signalProcessGroup ? -_workloadPid : _workloadPid;
        if (Libc.Kill(target, signal) != 0 && Libc.LastErrno != Libc.ESRCH)
            Log.ForwardFailed(_log, signal, target, Libc.DescribeErrno(Libc.LastErrno));
        else
            Log.Forwarded(_log, signal, target);
    }

    private unsafe void ReapAndCollectStops()
    {
        while (true)
        {
            int status;
            int pid = Libc.WaitPid(-1, &status, Libc.WNOHANG | Libc.__WALL);
            if (pid <= 0)
                return;   // 0: nothing more now; -1 ECHILD: no children at all
            if (Libc.WIFSTOPPED(status))
            {
                _tracer.OnStopped(pid, status);
                continue;
            }
            _tracer.OnExited(pid);
            Interlocked.Increment(ref _reaped);
            if (pid == _workloadPid)
                _workloadExit.TrySetResult(Launcher.WorkloadExit.FromWaitStatus(status));
        }
    }

    public void Dispose()
    {
        Libc.Close(_signalFd);
        Libc.Close(_wakeFd);
    }
}
