using System.Collections.Concurrent;
using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Launcher;

/// <summary>
/// PID 1's init duties, on one thread: the only waitpid(-1, __WALL) caller (it reaps every
/// zombie, and collects the stops of the tracer's tracees, which it posts to the tracer),
/// and the receiver of every supervised signal, from a signalfd (the signals are blocked in all
/// threads). It never issues a ptrace request and never waits for another thread, so nothing can
/// keep it from reaping. It sleeps in poll() on the signalfd and on an eventfd for reap requests.
/// </summary>
internal sealed class Reaper : IDisposable
{
    private readonly NotifyInbox _tracer;
    private readonly ILogger _log;
    private readonly bool _signalProcessGroup;

    private readonly ConcurrentQueue<Rendezvous> _reapRequests = new();
    private readonly TaskCompletionSource<WorkloadExit> _workloadExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _signalFd;
    private readonly int _wakeFd;
    private int _workloadPid;
    private int _reaped;

    public unsafe Reaper(NotifyInbox tracer, ILogger log, bool signalProcessGroup)
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

    /// <summary>How many processes have been reaped so far.</summary>
    public int Reaped => Volatile.Read(ref _reaped);

    /// <summary>Starts reaping; the workload is already forked. Until now its SIGCHLD waited in
    /// the signalfd, so nothing about it can have been missed.</summary>
    public void Start(int workloadPid)
    {
        _workloadPid = workloadPid;
        NamedThread.Start("reaper", Run);
    }

    /// <summary>
    /// Reap every zombie that is ours now, and wait for it; returns <see cref="Reaped"/>. Fork
    /// Guard asks before refusing a fork, so that children just killed and reparented to PID 1
    /// (whose SIGCHLD has not been handled yet) do not count against the limit.
    /// </summary>
    public unsafe int ReapNow()
    {
        var request = new Rendezvous();
        _reapRequests.Enqueue(request);
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        request.Wait();
        return Reaped;
    }

    private unsafe void Run()
    {
        try
        {
            var fds = stackalloc Libc.pollfd[2];
            fds[0] = new Libc.pollfd { fd = _signalFd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _wakeFd, events = Libc.POLLIN };
            // The workload may have exited or stopped before this thread started.
            ReapAll();
            while (true)
            {
                if (Libc.Poll(fds, 2, -1) < 0)
                {
                    if (Libc.LastErrno == Libc.EINTR)
                        continue;
                    throw new SystemCallException("poll", Libc.LastErrno);
                }
                if ((fds[0].revents & Libc.POLLIN) != 0)
                    DrainSignals();
                if ((fds[1].revents & Libc.POLLIN) != 0)
                    ServeReapRequests();
            }
        }
        catch (Exception e)
        {
            Log.ReaperFailed(_log, e);
            _workloadExit.TrySetException(e);
        }
    }

    private unsafe void ServeReapRequests()
    {
        ulong counter;
        Libc.Read(_wakeFd, (byte*)&counter, sizeof(ulong));
        ReapAll();
        while (_reapRequests.TryDequeue(out Rendezvous? request))
            request.Complete(0);
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
            else if (SupervisedSignals.IsForwarded(signal))
                Forward(signal);
        }
        // SIGCHLDs coalesce: one wakeup may stand for many children, so always drain waitpid.
        if (childEvent)
            ReapAll();
    }

    // Sent by the notify loop's thread, after it has answered whatever notifications are
    // pending: a task parked in one when a signal with a handler arrives would see its fork or
    // exec fail with EINTR (see NotifyLoop.Forward).
    private void Forward(int signal) =>
        _tracer.Post(new NotifyWork.ForwardSignal(signal, _signalProcessGroup ? -_workloadPid : _workloadPid));

    private unsafe void ReapAll()
    {
        while (true)
        {
            int status;
            int pid = Libc.WaitPid(-1, &status, Libc.WNOHANG | Libc.__WALL);
            if (pid <= 0)
                return;   // 0: nothing more now; -1 ECHILD: no children at all
            if (Libc.WIFSTOPPED(status))
            {
                _tracer.Post(new NotifyWork.Stopped(pid, status));
                continue;
            }
            _tracer.Post(new NotifyWork.Exited(pid));
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
