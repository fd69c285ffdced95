using System.Collections.Concurrent;
using MicroEnforcer.Interop;
using MicroEnforcer.Launcher;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Supervision;

/// <summary>
/// PID 1's init duties: waitpid(-1, __WALL) (reaping every zombie, and collecting the stops of
/// the tracer's tracees) and the supervised signals, from a signalfd (the signals are blocked in
/// all threads).
///
/// Who does them. Until the notify loop runs, this class's own thread: it posts what it collects
/// to the loop's inbox, as it did for everything once. It then offers the job to the loop
/// (<see cref="NotifyWork.ReapingOffered"/>), which polls the signalfd itself from then on: an
/// exec stop then wakes one thread, the loop, where it used to wake this thread and then the
/// loop through the inbox (a wake-up and about five system calls per exec).
///
/// Why that cannot deadlock. PTRACE_SEIZE waits on the target's cred_guard_mutex, which an exec
/// in that process holds while de_thread waits for its traced sibling threads to be reaped; the
/// loop seizes, so while it waits there, another thread must reap. This thread stays for that:
/// it watches whether the loop is out of its poll() (the loop marks it, <see cref="LoopWoke"/>),
/// and when it has been out for <see cref="StuckMs"/>, it reaps every millisecond until the loop
/// is back, queueing what it collects for the loop in collection order. It issues no ptrace
/// request and waits for no other thread (its lock is held only around waitpid calls), so nothing
/// keeps it from reaping. The same covers anything else that would hold the loop (a GC pause that
/// ends, a long content hash), and the loop ending: then the job comes back here for good.
/// </summary>
internal sealed class Reaper : IDisposable
{
    /// <summary>How long the loop may be out of its poll before this thread reaps in its place.</summary>
    internal const int StuckMs = 50;

    private readonly NotifyInbox _inbox;
    private readonly ILogger _log;
    private readonly bool _signalProcessGroup;

    private readonly ConcurrentQueue<Rendezvous> _reapRequests = new();
    private readonly TaskCompletionSource<WorkloadExit> _workloadExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _signalFd;
    private readonly int _wakeFd;
    private int _workloadPid;
    // A signalfd also dequeues the signals pending for the thread that reads it: the notify loop,
    // which writes audit events and logs, and may so raise SIGPIPE on itself.
    private readonly int _ownPid = Libc.GetPid();
    private int _reaped;

    // Taken around every waitpid drain, so what two threads collect is queued in the order the
    // kernel reported it; never held across anything that can block.
    private readonly Lock _reapLock = new();
    // What was collected off the loop's thread after it took the job over, for the loop, in order.
    private readonly ConcurrentQueue<NotifyWork> _forLoop = new();
    private volatile bool _loopReaps;
    // Environment.TickCount64 when the loop left its poll(); 0 while it waits there.
    private long _loopBusySince;

    public unsafe Reaper(NotifyInbox inbox, ILogger log, bool signalProcessGroup)
    {
        _inbox = inbox;
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

    /// <summary>
    /// Told of every process reaped, with its wait status (Forensics' exit events), on whichever
    /// thread reaps, under the reaping lock: it must only record.
    /// </summary>
    public Action<int, int>? ChildExited { get; set; }

    /// <summary>How many processes have been reaped so far.</summary>
    public int Reaped => Volatile.Read(ref _reaped);

    /// <summary>The supervised signals, SIGCHLD among them; the loop polls it once it reaps.</summary>
    public int SignalFd => _signalFd;

    /// <summary>Something collected off the loop's thread is waiting for it.</summary>
    public bool HasWorkForLoop => !_forLoop.IsEmpty;

    /// <summary>Starts reaping; the workload is already forked. Until now its SIGCHLD waited in
    /// the signalfd, so nothing about it can have been missed.</summary>
    public void Start(int workloadPid)
    {
        _workloadPid = workloadPid;
        NamedThread.Start("reaper", Run);
        _inbox.Post(new NotifyWork.ReapingOffered(this));
    }

    /// <summary>
    /// Reap every zombie that is ours now, and wait for it; returns <see cref="Reaped"/>. Fork
    /// Guard asks before refusing a fork, so that children just killed and reparented to PID 1
    /// (whose SIGCHLD has not been handled yet) do not count against the limit. Done by this
    /// thread even when the loop reaps (what it collects is queued for the loop): reaping in
    /// place on the loop was tried, and under load a fork bomb's children, killed a moment
    /// earlier and still exiting, were counted against the shell's next fork
    /// (ForkGuardTests.CForkLoopIsCappedAndForkingWorksAfterwards failed once in a full run).
    /// </summary>
    public int ReapNow()
    {
        var request = new Rendezvous();
        _reapRequests.Enqueue(request);
        Wake();
        request.Wait();
        return Reaped;
    }

    // ---- the notify loop's side (its thread only) ----

    /// <summary>The loop takes the job over (it received <see cref="NotifyWork.ReapingOffered"/>).</summary>
    public void HandOverToLoop()
    {
        LoopWoke();   // it is out of its poll right now, handling this
        lock (_reapLock)
            _loopReaps = true;
        Wake();   // out of its poll on the signalfd, into watching the loop
    }

    /// <summary>The loop ends: the job comes back to this thread.</summary>
    public void HandBack()
    {
        lock (_reapLock)
            _loopReaps = false;
        Volatile.Write(ref _loopBusySince, 0);
        Wake();
    }

    /// <summary>The loop goes into its poll().</summary>
    public void LoopWaits() => Volatile.Write(ref _loopBusySince, 0);

    /// <summary>The loop came out of its poll().</summary>
    public void LoopWoke() => Volatile.Write(ref _loopBusySince, Math.Max(1, Environment.TickCount64));

    /// <summary>
    /// On the loop's thread: reads the pending signals and, on SIGCHLD, drains waitpid. Appends,
    /// in order, signals to forward and then the stops and exits (what this thread collected while
    /// the loop was held first).
    /// </summary>
    public void CollectOnLoop(List<NotifyWork> work)
    {
        bool childEvent = ReadSignals(work);
        lock (_reapLock)
        {
            while (_forLoop.TryDequeue(out NotifyWork? earlier))
                work.Add(earlier);
            if (childEvent)
                ReapAll(work.Add);
        }
    }

    // ---- this thread ----

    private unsafe void Run()
    {
        try
        {
            // The workload may have exited or stopped before this thread started.
            lock (_reapLock)
            {
                if (!_loopReaps)
                    ReapAll(_inbox.Post);
            }
            while (true)
            {
                if (_loopReaps)
                    Watch();
                else
                    Serve();
            }
        }
        catch (Exception e)
        {
            Log.ReaperFailed(_log, e);
            _workloadExit.TrySetException(e);
        }
    }

    // Before the loop took the job over, or after it ended: everything, posted to the inbox.
    private unsafe void Serve()
    {
        var fds = stackalloc Libc.pollfd[2];
        fds[0] = new Libc.pollfd { fd = _signalFd, events = Libc.POLLIN };
        fds[1] = new Libc.pollfd { fd = _wakeFd, events = Libc.POLLIN };
        if (Libc.Poll(fds, 2, -1) < 0)
        {
            if (Libc.LastErrno == Libc.EINTR)
                return;
            throw new SystemCallException("poll", Libc.LastErrno);
        }
        if ((fds[0].revents & Libc.POLLIN) != 0)
        {
            var signals = new List<NotifyWork>();
            bool childEvent = ReadSignals(signals);
            foreach (NotifyWork forward in signals)
                _inbox.Post(forward);
            if (childEvent)
                CollectHere();
        }
        if ((fds[1].revents & Libc.POLLIN) != 0)
            ServeReapRequests();
    }

    // While the loop reaps: wake every StuckMs to see whether it is held, and reap while it is.
    private unsafe void Watch()
    {
        var wake = new Libc.pollfd { fd = _wakeFd, events = Libc.POLLIN };
        if (Libc.Poll(&wake, 1, StuckMs) < 0 && Libc.LastErrno != Libc.EINTR)
            throw new SystemCallException("poll", Libc.LastErrno);
        if ((wake.revents & Libc.POLLIN) != 0)
            ServeReapRequests();
        long since = Volatile.Read(ref _loopBusySince);
        if (since == 0 || Environment.TickCount64 - since < StuckMs)
            return;
        // Held since `since`: reap in its place until it is back in (or past) that poll.
        // Reap requests are answered here too: the loop may be held waiting for one (Fork Guard).
        while (_loopReaps && Volatile.Read(ref _loopBusySince) == since)
        {
            CollectHere();
            CompleteReapRequests();
            Libc.Sleep(TimeSpan.FromMilliseconds(1));
        }
    }

    private unsafe void ServeReapRequests()
    {
        ulong counter;
        Libc.Read(_wakeFd, (byte*)&counter, sizeof(ulong));
        if (_reapRequests.IsEmpty)
            return;
        CollectHere();
        CompleteReapRequests();
    }

    private void CompleteReapRequests()
    {
        while (_reapRequests.TryDequeue(out Rendezvous? request))
            request.Complete(0);
    }

    // Drains waitpid off the loop's thread: to the inbox while this thread has the job, else
    // queued for the loop (which also gets SIGCHLD: nobody here read it) and the loop woken.
    private void CollectHere()
    {
        bool queued = false;
        lock (_reapLock)
        {
            if (_loopReaps)
                ReapAll(w => { _forLoop.Enqueue(w); queued = true; });
            else
                ReapAll(_inbox.Post);
        }
        if (queued)
            _inbox.Wake();
    }

    // Reads every pending signal; forwarded ones are added as work. True if SIGCHLD was among them.
    private unsafe bool ReadSignals(List<NotifyWork> forwards)
    {
        const int Batch = 8;
        Libc.signalfd_siginfo* infos = stackalloc Libc.signalfd_siginfo[Batch];
        bool childEvent = false;
        while (true)
        {
            nint n = Libc.Read(_signalFd, (byte*)infos, (nuint)(Batch * sizeof(Libc.signalfd_siginfo)));
            if (n <= 0)
                return childEvent;
            int count = (int)(n / sizeof(Libc.signalfd_siginfo));
            for (int i = 0; i < count; i++)
            {
                int signal = (int)infos[i].ssi_signo;
                if (signal == SupervisedSignals.SIGCHLD)
                    childEvent = true;
                else if (infos[i].ssi_pid == (uint)_ownPid)
                    continue;   // raised by PID 1 itself (SIGPIPE from a write to a closed stderr): not the workload's
                else if (SupervisedSignals.IsForwarded(signal))
                    forwards.Add(Forward(signal));
            }
            if (count < Batch)
                return childEvent;   // a short read: nothing more was pending
        }
    }

    // Sent by the notify loop's thread, after it has answered whatever notifications are
    // pending: a task parked in one when a signal with a handler arrives would see its fork or
    // exec fail with EINTR (see NotifyLoop.Forward).
    private NotifyWork.ForwardSignal Forward(int signal) =>
        new(signal, _signalProcessGroup ? -_workloadPid : _workloadPid);

    // SIGCHLDs coalesce: one wakeup may stand for many children, so always drain waitpid.
    private unsafe void ReapAll(Action<NotifyWork> collected)
    {
        while (true)
        {
            int status;
            int pid = Libc.WaitPid(-1, &status, Libc.WNOHANG | Libc.__WALL);
            if (pid <= 0)
                return;   // 0: nothing more now; -1 ECHILD: no children at all
            if (Libc.WIFSTOPPED(status))
            {
                collected(new NotifyWork.Stopped(pid, status));
                continue;
            }
            ChildExited?.Invoke(pid, status);
            collected(new NotifyWork.Exited(pid));
            Interlocked.Increment(ref _reaped);
            if (pid == _workloadPid)
                _workloadExit.TrySetResult(Supervision.WorkloadExit.FromWaitStatus(status));
        }
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        Libc.Close(_signalFd);
        Libc.Close(_wakeFd);
    }
}
