using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Launcher;
using MicroEnforcer.Policy;
using MicroEnforcer.Ptrace;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Supervision;

/// <summary>
/// Receives the workload's notified syscalls from the seccomp listener, hands each to the
/// control it belongs to, and answers: CONTINUE, or an errno. One thread, so the controls see
/// the calls one at a time (Fork Guard's count relies on it). It is also the tracer's thread:
/// it seizes exec'ing tasks itself, with no handoff, and handles their stops. It is also PID 1's
/// reaper once the <see cref="Reaper"/> handed that over (see there for why that cannot
/// deadlock). It waits in one poll() for its inputs: the workload's listener, which it receives
/// from itself (no thread in between: a fork or an exec of the workload costs one wake-up of
/// this thread, not two), the signalfd of PID 1's signals (SIGCHLD: an exec stop wakes this
/// thread only), and the <see cref="NotifyInbox"/>, where the session watcher, the exec
/// sessions' receivers and, while this thread is held, the reaper post. It never blocks
/// anywhere else: a tracee stopped at its exec event must always find it ready. RECV is only
/// called after poll() reported a notification, and then returns at once even if the caller
/// was killed meanwhile (see <see cref="NotificationListener.TryReceive"/>).
///
/// Every read of the caller's memory or /proc is followed by SECCOMP_IOCTL_NOTIF_ID_VALID: if
/// the caller died and its pid was reused, what was read belongs to someone else.
/// </summary>
internal sealed class NotifyLoop(NotificationListener workload, ExecEntryCheck exec, LiveControls controls, Tracer tracer, NotifyInbox inbox,
    BaselineRecording baseline, ILogger log)
{
    // Time calls received while the baseline was being hashed: answered (CONTINUE) when it is
    // over (NotifyWork.BaselineHashed), in arrival order.
    private readonly List<(NotificationListener Listener, Libc.seccomp_notif Notification)> _awaitingHashing = [];

    // Exec notifications received before the baseline was recorded, whose file it must judge:
    // answered when the baseline is (NotifyWork.BaselineRecorded), in arrival order.
    private readonly List<(NotificationListener Listener, Libc.seccomp_notif Notification)> _awaitingBaseline = [];
    private readonly List<NotifyWork> _collected = [];
    private Reaper? _reaper;

    public void Start()
    {
        NamedThread.Start("seccomp-notify", Run);
    }

    private unsafe void Run()
    {
        tracer.BindToCurrentThread();
        workload.PreferSynchronousWakeUps();
        Libc.pollfd* ready = stackalloc Libc.pollfd[3];
        ready[0] = new Libc.pollfd { fd = inbox.WakeFd, events = Libc.POLLIN };
        ready[1] = new Libc.pollfd { fd = workload.Fd, events = Libc.POLLIN };
        ready[2] = new Libc.pollfd { fd = -1, events = Libc.POLLIN };   // the reaper's signalfd, once it hands its job over
        try
        {
            while (true)
            {
                _reaper?.LoopWaits();
                int polled = Libc.Poll(ready, 3, -1);
                _reaper?.LoopWoke();
                if (polled < 0)
                {
                    if (Libc.LastErrno == Libc.EINTR)
                        continue;
                    Log.NotifyLoopStopped(log, Libc.DescribeErrno(Libc.LastErrno));
                    return;
                }
                if ((ready[1].revents & Libc.POLLIN) != 0)
                    ReceiveAndAnswer();
                else if ((ready[1].revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0)
                    ready[1].fd = -1;   // no task uses the workload's filter any more: poll() ignores it from now on
                if ((ready[0].revents & Libc.POLLIN) != 0)
                    inbox.Drain(HandleWork);
                if (_reaper is { } reaper)
                {
                    if ((ready[2].revents & Libc.POLLIN) != 0 || reaper.HasWorkForLoop)
                        Reap(reaper);
                    ready[2].fd = reaper.SignalFd;
                }
            }
        }
        finally
        {
            _reaper?.HandBack();   // PID 1 must go on reaping without this thread
        }
    }

    /// <summary>
    /// PID 1's reaping, on this thread once the reaper handed it over: an exec stop then wakes
    /// this thread alone, not the reaper and then this thread through the inbox.
    /// </summary>
    private void Reap(Reaper reaper)
    {
        _collected.Clear();
        reaper.CollectOnLoop(_collected);
        foreach (NotifyWork work in _collected)
            HandleWork(work);
    }

    /// <summary>Takes one pending notification of the workload's listener and answers it.</summary>
    private void ReceiveAndAnswer()
    {
        if (workload.TryReceive(out Libc.seccomp_notif notification, out int errno))
            Answer(workload, notification);
        else if (errno is not (Libc.EINTR or Libc.ENOENT))   // ENOENT: the caller was gone before we could receive it
            Log.NotifyReceiveFailed(log, Libc.DescribeErrno(errno));
    }

    private void HandleWork(NotifyWork work)
    {
        try
        {
            switch (work)
            {
                case NotifyWork.Notification notification:
                    Answer(notification.Listener, notification.Value);
                    break;
                case NotifyWork.ListenerClosed closed:
                    // Its callers are all gone; its fd number must not be answered after the close.
                    _awaitingBaseline.RemoveAll(held => held.Listener == closed.Listener);
                    _awaitingHashing.RemoveAll(held => held.Listener == closed.Listener);
                    Libc.Close(closed.Listener.Fd);
                    Log.SessionEnded(log, closed.Listener.Origin);
                    break;
                case NotifyWork.ForwardSignal forward:
                    Forward(forward.Signal, forward.Target);
                    break;
                case NotifyWork.BaselineRecorded:
                    AnswerAwaitingBaseline();
                    break;
                case NotifyWork.BaselineHashed:
                    AnswerAwaitingHashing();
                    break;
                case NotifyWork.Newcomer newcomer:
                    // It ran outside the filter: it could have set an mtime back unseen.
                    if (baseline.RevokeStamps($"a process entered the container from outside the filter (pid {newcomer.Pid}) before the image was hashed"))
                        Log.ContentStampsRevoked(log, newcomer.Pid);
                    tracer.Capture(newcomer.Pid, newcomer.Reason, Environment.TickCount64 - newcomer.FirstSeen);
                    break;
                case NotifyWork.Stopped stopped:
                    tracer.OnStopped(stopped.Pid, stopped.Status);
                    break;
                case NotifyWork.Exited exited:
                    tracer.OnExited(exited.Pid);
                    break;
                case NotifyWork.InstallControls install:
                    install.Install();
                    install.Done.Set();
                    break;
                case NotifyWork.ReapingOffered offered:
                    _reaper = offered.Reaper;
                    _reaper.HandOverToLoop();
                    break;
            }
        }
        catch (Exception e)
        {
            Log.TracerFailed(log, e);
        }
    }

    private void Answer(NotificationListener listener, in Libc.seccomp_notif notification)
    {
        int? answer;
        long value = 0;
        try
        {
            answer = Handle(listener, notification, out value);
        }
        catch (Exception e)
        {
            // Fail closed: a call nobody could judge does not happen in enforce mode.
            Log.NotifyHandlerFailed(log, (int)notification.pid, e);
            answer = controls.Current.ExecFailureMode == EnforcementMode.Enforce ? -Libc.EACCES : 0;
        }
        if (answer == ExecEntryCheck.AwaitBaseline)
            _awaitingBaseline.Add((listener, notification));
        else if (answer == SyscallDispatch.HoldUntilHashed)
            _awaitingHashing.Add((listener, notification));
        else if (answer == SyscallDispatch.Deferred)
        {
            // A control answers it from another thread (NetworkWorkers).
        }
        else if (answer == SyscallDispatch.Performed)
            listener.RespondWithValue(notification.id, value);
        else if (answer is int errno)
            listener.Respond(notification.id, errno);
    }

    /// <summary>
    /// Decides the held execs from the start, as if they had just arrived: their callers are
    /// still parked in the same call (or gone, which the validity checks find), and the file may
    /// have changed meanwhile. The baseline is recorded now, so none is held again.
    /// </summary>
    private void AnswerAwaitingBaseline()
    {
        var held = _awaitingBaseline.ToArray();
        _awaitingBaseline.Clear();
        foreach (var (listener, notification) in held)
            Answer(listener, notification);
    }

    /// <summary>The stamps are retired: every held time call goes on (asked again: the answer is now CONTINUE).</summary>
    private void AnswerAwaitingHashing()
    {
        var held = _awaitingHashing.ToArray();
        _awaitingHashing.Clear();
        foreach (var (listener, notification) in held)
            Answer(listener, notification);
    }

    /// <summary>
    /// Forwards a signal PID 1 received. A caller parked in a notification that has not been
    /// received yet waits interruptibly: a signal with a handler installed without SA_RESTART
    /// would make its fork or exec fail with EINTR, which natively they never do (busybox sh:
    /// "can't fork: Interrupted system call"). Received callers wait killably
    /// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so everything pending is received and answered
    /// first (bounded: a fork bomb cannot hold the signal back for ever).
    /// </summary>
    private unsafe void Forward(int signal, int target)
    {
        var pending = new Libc.pollfd { fd = workload.Fd, events = Libc.POLLIN };
        for (int i = 0; i < 100 && Libc.Poll(&pending, 1, 0) > 0 && (pending.revents & Libc.POLLIN) != 0; i++)
        {
            pending.revents = 0;
            ReceiveAndAnswer();
        }
        if (Libc.Kill(target, signal) != 0 && Libc.LastErrno != Libc.ESRCH)
            Log.ForwardFailed(log, signal, target, Libc.DescribeErrno(Libc.LastErrno));
        else
            Log.Forwarded(log, signal, target);
    }

    private int? Handle(NotificationListener listener, in Libc.seccomp_notif notification, out long value)
    {
        value = 0;
        int tid = (int)notification.pid;
        (SyscallKind kind, _) = SyscallClassifier.Classify(notification.data.arch, unchecked((uint)notification.data.nr));
        if (kind is SyscallKind.Execve or SyscallKind.Execveat)
            return exec.Decide(notification.id, tid, ExecRequest.Decode(notification.data)!, listener);
        return controls.Current.Syscalls.Decide(new SyscallCall(tid, kind, notification.data, listener, notification.id), out value);
    }
}
