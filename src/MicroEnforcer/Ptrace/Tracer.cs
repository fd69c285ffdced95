using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Sessions;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// The decisive check. The entry check reads a path the caller can rewrite from another thread
/// after the answer (the kernel reads it again), so it cannot be the last word. Before answering
/// CONTINUE the notify loop has the task seized (PTRACE_O_TRACEEXEC, so its forks and threads
/// cost nothing, and PTRACE_O_EXITKILL, so PID 1 dying takes the tracee with it); at
/// PTRACE_EVENT_EXEC the new image is loaded and has not run one instruction: /proc/PID/exe and
/// the ELF interpreter the kernel mapped are decided again, and so are the libraries the loader
/// will load by the new image's environment and a program a loader run directly would run
/// (<see cref="LoaderEnvironment"/>); a denial kills the process there.
/// Then the tracer detaches, so traced processes pay for signals only during their exec call.
///
/// Runs on one thread only, the notify loop's: a tracee answers only to the thread that seized
/// it. That thread is deliberately not the reaper: PTRACE_SEIZE waits (uninterruptibly for us)
/// on the target's cred_guard_mutex, which an exec in the same process holds while de_thread
/// waits for its traced sibling threads to be reaped. If the seizing thread were the reaper,
/// that wait would never end (found in review: three traced zombies, every later exec hung).
/// The exec holding the mutex was already answered, so it never waits for the notify loop.
///
/// It also traces exec sessions: processes that entered the container from outside (podman exec,
/// kubectl exec), which carry neither the filter nor a tracer. The session watcher reports them;
/// they are seized with every thread, and their forks and clones are traced too, so nothing they
/// start escapes. At each exec event the new image is decided like any other, and an allowed one
/// gets the workload's filter injected (<see cref="FilterInjection"/>) and is released: from then
/// on its execs are refused at entry with EACCES, like the workload's. Whether a session may run
/// at all is the session controls' question (<see cref="SessionAdmission"/>), asked at the seize
/// and at the session's first exec event.
/// </summary>
internal sealed class Tracer(LiveControls live, Outcome outcome, SessionEnforcement sessions)
{
    private const int PruneThreshold = 1024;
    private const int SessionOptions = Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_TRACEEXEC | Libc.PTRACE_O_TRACEFORK |
        Libc.PTRACE_O_TRACEVFORK | Libc.PTRACE_O_TRACECLONE | Libc.PTRACE_O_EXITKILL;

    private readonly Dictionary<int, PendingExec> _pending = [];
    private readonly Dictionary<int, FilterInjection> _injections = [];
    private readonly ElfImageFacts _elfFacts = new();
    private readonly SessionAdmission _admission = new(() => live.Current.Sessions, outcome, sessions);
    private int _tracerTid;

    /// <summary>Called once, on the tracing thread: ptrace ties tracees to this thread id.</summary>
    public void BindToCurrentThread() => _tracerTid = Libc.GetTid();

    public int Seize(int tid, PendingExec pending)
    {
        nint rc = Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, Libc.PTRACE_O_TRACEEXEC | Libc.PTRACE_O_EXITKILL);
        if (rc != 0)
        {
            int errno = Libc.LastErrno;
            // A task whose exec failed after CONTINUE stays seized until its next exec, and a
            // second seize answers EPERM. Whether it is ours is a kernel fact, not a dictionary
            // entry: an entry can outlive the trace (a thread-group leader released by another
            // thread's exec is never reported), and the task may since have been seized by
            // someone else, who would then receive its exec event instead of us.
            if (errno != Libc.EPERM || ProcStatus.Read(tid)?.TracerPid != _tracerTid)
                return errno;
        }
        if (_pending.Count >= PruneThreshold)
            Prune();
        _pending[tid] = pending;
        return 0;
    }

    /// <summary>
    /// Seizes an exec session's process, every thread of it: an exec from any thread must report
    /// here. Threads it starts meanwhile are seized by the kernel (PTRACE_O_TRACECLONE), so the
    /// listing is repeated until it holds no thread we have not seized. A seize the kernel refuses
    /// is tried again at the watcher's next scans for a while (the runtime's process is not
    /// dumpable until it execs, and `microenforcer exec` joins by itself), then fails closed.
    /// </summary>
    public void Capture(int pid, string reason, long unresolvedForMs)
    {
        var seized = new HashSet<int>();
        for (bool more = true; more;)
        {
            more = false;
            foreach (int tid in ProcTasks.List(pid))
            {
                if (!seized.Add(tid))
                    continue;
                more = true;
                if (Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, SessionOptions) == 0)
                    continue;
                int errno = Libc.LastErrno;
                if (errno == Libc.ESRCH || (errno == Libc.EPERM && ProcStatus.Read(tid)?.TracerPid == _tracerTid))
                    continue;   // gone, or already ours (auto-attached as a child of a session)
                if (ProcStatus.Read(pid) is not { IsZombie: false })
                    return;   // exited meanwhile (an exiting task refuses to be seized)
                if (unresolvedForMs < SessionEnforcement.CaptureGraceMs)
                    return;   // reported again at the next scan
                sessions.CannotCapture(pid, reason, $"PTRACE_SEIZE: {Libc.DescribeErrno(errno)}");
                return;
            }
        }
        if (seized.Count == 0)
            return;
        // Held now, the pid cannot change hands; before the seize it could have. A process that
        // is not a newcomer (the watcher's pid was reused by the workload) is not reported. It
        // cannot be detached while it runs (PTRACE_DETACH needs a stop), and need not be: it has
        // the filter, so its next exec comes with an entry check, and its exec event ends in the
        // detach of an ordinary exec check.
        if (ProcStatus.Read(pid) is not { } status || Newcomer.Reason(status) is null)
            return;
        sessions.Captured(pid, reason);
        _admission.Captured(pid, status);
    }

    /// <summary>The notification died after the seize: do not keep a task we have no reason to hold.</summary>
    public void Release(int tid)
    {
        if (_pending.Remove(tid))
            Libc.Ptrace(Libc.PTRACE_DETACH, tid, 0, 0);
    }

    /// <summary>A traced task stopped (waitpid reported WIFSTOPPED).</summary>
    public void OnStopped(int pid, int status)
    {
        if (_injections.TryGetValue(pid, out FilterInjection? injection))
        {
            OnInjectionStep(injection, status);
            return;
        }
        int signal = Libc.WSTOPSIG(status);
        int ptraceEvent = (status >> 16) & 0xff;
        switch (ptraceEvent)
        {
            case Libc.PTRACE_EVENT_EXEC:
                OnExecLoaded(pid);
                break;
            case Libc.PTRACE_EVENT_FORK or Libc.PTRACE_EVENT_VFORK or Libc.PTRACE_EVENT_CLONE:
                // A session process started another: the kernel seized it for us already.
                if (_admission.Active)
                    _admission.Started(pid, EventMessage(pid));
                Libc.Ptrace(Libc.PTRACE_CONT, pid, 0, 0);
                break;
            case Libc.PTRACE_EVENT_STOP:
                // Group-stop of a seized task: stay stopped without holding the tracee in ptrace.
                bool groupStop = signal is 19 or 20 or 21 or 22;   // SIGSTOP SIGTSTP SIGTTIN SIGTTOU
                Libc.Ptrace(groupStop ? Libc.PTRACE_LISTEN : Libc.PTRACE_CONT, pid, 0, 0);
                break;
            default:
                // Signal-delivery-stop: deliver the signal unchanged.
                Libc.Ptrace(Libc.PTRACE_CONT, pid, 0, signal);
                break;
        }
    }

    /// <summary>A task is gone (reported by the reaper).</summary>
    public void OnExited(int pid)
    {
        _pending.Remove(pid);
        _injections.Remove(pid);
        _admission.Exited(pid);
    }

    // The exec event's former thread id, or a fork event's new task.
    private static unsafe int EventMessage(int pid)
    {
        nint message = 0;
        Libc.Ptrace(Libc.PTRACE_GETEVENTMSG, pid, 0, (nint)(&message));
        return (int)message;
    }

    private void OnExecLoaded(int pid)
    {
        // An exec from a non-leader thread reports under the thread-group id; the thread we
        // seized is in the event message. Both entries are done with: the former thread id is
        // gone, and the leader's (if it was seized for an earlier exec) was released silently.
        int formerTid = EventMessage(pid);
        _pending.Remove(formerTid, out PendingExec? pending);
        if (_pending.Remove(pid, out PendingExec? leaders))
            pending ??= leaders;

        ExecTarget? target = ExecPathResolver.DescribeLoaded(pid);
        ActiveControls controls = live.Current;   // one generation for the whole decision
        ExecDecider decider = controls.Exec;

        // Not seized for an exec check: a session process, traced since it entered. Whether the
        // session may run at all comes first: killed here, its program never runs.
        if (pending is null && _admission.Exec(pid, target))
            return;
        if (pending is not null)
            _admission.Checked(pid);

        ElfImageFacts.Facts? facts = target is null ? null : _elfFacts.Get(pid, target.Signature);
        // An ELF interpreter run as a program runs the program its arguments name, which no
        // exec names: controls that judge what runs by its name or path are told of it.
        if (target is not null && facts?.Loader is { } kind and not ElfImageFacts.LoaderKind.None)
            target = target with { LoaderProgram = LoaderEnvironment.DirectRunProgram(pid, kind) };
        ExecDecision decision = target is null
            ? Unreadable("cannot inspect the loaded image (/proc/PID/exe unreadable)")
            : decider.Decide(target);
        string path = target?.CanonicalPath ?? "?";

        // The kernel also mapped the ELF interpreter (PT_INTERP, e.g. ld.so), which runs first:
        // a replaced ld.so would run under an untouched image binary. An image known to have no
        // PT_INTERP has none mapped: its auxiliary vector is not read (see ElfImageFacts).
        if (!decision.Deny && target is not null && facts?.HasInterpreter != false)
        {
            ElfInterpreter.Lookup interpreter = ElfInterpreter.Find(pid);
            if (interpreter.Failure is { } failure)
            {
                decision = Unreadable(failure);
            }
            else if (interpreter.Target is { } loader)
            {
                ExecDecision loaderDecision = decider.Decide(loader);
                if (loaderDecision.Finding is { } finding)
                {
                    decision = loaderDecision with { Finding = finding with { Reason = $"its ELF interpreter {loader.CanonicalPath}: {finding.Reason}" } };
                    path = target.CanonicalPath;
                }
            }
        }

        // What the loader will load besides the image: libraries its environment names, and the
        // program of a loader run directly. Only a dynamically linked image (or one not known to
        // be static) or a loader run as a program has a loader that reads them (see LoaderEnvironment).
        ElfImageFacts.LoaderKind runAs = facts?.Loader ?? ElfImageFacts.LoaderKind.None;
        if (!decision.Deny && target is not null && controls.Drift is { } drift && (facts?.HasInterpreter != false || runAs != ElfImageFacts.LoaderKind.None) &&
            LoaderEnvironment.Decide(pid, target.CanonicalPath, runAs, drift) is { } loaded &&
            (loaded.Decision.Deny || decision.Finding is null))
        {
            decision = loaded.Decision;
            path = loaded.Path;
        }

        // A shebang script: the interpreter is the image, and what it will read is the script
        // the kernel named in its argv (/dev/fd/N or the path). That file is judged here, where
        // the new image's fds and argv are its own (see ShebangScripts).
        if (!decision.Deny && target is not null && ShebangScripts.Decide(pid, target.CanonicalPath, decider) is { } script &&
            (script.Decision.Deny || decision.Finding is null))
        {
            decision = script.Decision;
            path = script.Path;
        }

        // A shell fed from the network through a relay: its stdin is a pipe, FIFO or pty whose
        // other end a connected process holds (see StdinRelay). Its argv and fds are its own now.
        if (!decision.Deny && target is not null && controls.ReverseShell is { } reverseShell && reverseShell.DecideRelayAtExec(pid, target) is { } relay &&
            (reverseShell.Mode == Policy.EnforcementMode.Enforce || decision.Finding is null))
        {
            decision = new ExecDecision(relay, reverseShell.Mode);
            path = target.CanonicalPath;
        }

        // Killed while stopped: the new image never runs an instruction. Its exit is reported to
        // the reaper, and that ends the trace.
        if (decision.Finding is { } objection &&
            outcome.AtExecEvent(pid, objection, decision.Mode, pending?.Syscall ?? "execve", path, pending?.RequestedPath,
                reportDetection: !SameAsEntry(decision, pending, path)))
            return;
        if (pending is null)
        {
            // Not seized for an exec check: a session process, traced since it entered. Its new
            // image is allowed; from here on it is enforced like the workload.
            if (sessions.IsEnforcerBinary(pid))
                Libc.Ptrace(Libc.PTRACE_CONT, pid, 0, 0);   // `microenforcer exec` joins by itself
            else
                BeginInjection(pid);
            return;
        }
        Libc.Ptrace(Libc.PTRACE_DETACH, pid, 0, 0);
    }

    private void BeginInjection(int pid)
    {
        if (FilterInjection.Begin(pid, sessions.Filter, sessions.Launch, sessions.Courier) is { } injection)
        {
            _injections[pid] = injection;
        }
    }

    private void OnInjectionStep(FilterInjection injection, int status)
    {
        FilterInjection.Outcome outcome = injection.OnStopped(status);
        if (outcome == FilterInjection.Outcome.InProgress)
            return;
        _injections.Remove(injection.Pid);
        switch (outcome)
        {
            case FilterInjection.Outcome.Done:
                sessions.Enforced(injection.Pid, injection.ListenerFd);
                Libc.Ptrace(Libc.PTRACE_DETACH, injection.Pid, 0, 0);
                injection.ResendHeldSignals();
                break;
            case FilterInjection.Outcome.NotApplicable:
                // A compat (i386) image: no injection, but it stays traced, so its execs (and
                // those of everything it starts) are still decided at their exec events. (With
                // files restricted the injection fails instead: nothing would restrict its files.)
                sessions.TracedOnly(injection.Pid, "a 32-bit (compat) image: its filter cannot be injected");
                Libc.Ptrace(Libc.PTRACE_CONT, injection.Pid, 0, 0);
                injection.ResendHeldSignals();
                break;
            default:
                if (!sessions.InjectionFailed(injection.Pid, injection.Failure ?? "unknown", injection.FailedControl))   // true: killed
                {
                    Libc.Ptrace(Libc.PTRACE_CONT, injection.Pid, 0, 0);
                    injection.ResendHeldSignals();
                }
                break;
        }
    }

    // An image we cannot read is not a policy question: it never runs, whatever the mode. It is
    // reported under the exec control that could not decide.
    private ExecDecision Unreadable(string reason) => live.Current.Undecidable(reason) with { Mode = EnforcementMode.Enforce };

    // In audit mode the entry check already reported the same finding for the same file.
    private static bool SameAsEntry(ExecDecision loaded, PendingExec? pending, string path) =>
        pending?.EntryDecision.Finding is { } entry && entry.Control == loaded.Finding?.Control &&
        pending.EntryCanonicalPath == path;

    // Drops entries for tasks that are no longer ours (gone, or released unreported).
    private void Prune()
    {
        foreach (int tid in _pending.Keys.ToList())
        {
            if (ProcStatus.Read(tid)?.TracerPid != _tracerTid)
                _pending.Remove(tid);
        }
    }
}
