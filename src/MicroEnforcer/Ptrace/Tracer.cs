using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// The decisive check. The notify loop's entry check reads a path the caller can rewrite from
/// another thread after the answer (the kernel reads it again), so it cannot be the last word.
/// Before answering CONTINUE the notify loop has the task seized (PTRACE_O_TRACEEXEC only, so
/// its forks and threads cost nothing); at PTRACE_EVENT_EXEC the new image is loaded and has not
/// run one instruction, and /proc/PID/exe names the file the kernel really loaded. That file is
/// decided again; if it is denied the process is killed there. Then the tracer detaches, so
/// traced processes pay for signals only between their exec call and its completion.
///
/// Single-threaded: every method runs on the supervisor thread, the thread that seizes.
/// </summary>
internal sealed class Tracer(ExecDecider decider, AuditLog audit)
{
    private readonly Dictionary<int, PendingExec> _pending = [];

    public int TracedCount => _pending.Count;

    public int Seize(int tid, PendingExec pending)
    {
        nint rc = Libc.Ptrace(Libc.PTRACE_SEIZE, tid, 0, Libc.PTRACE_O_TRACEEXEC | Libc.PTRACE_O_EXITKILL);
        if (rc != 0)
        {
            int errno = Libc.LastErrno;
            // A task whose exec failed stays seized until its next exec: that one is ours already.
            if (!(errno == Libc.EPERM && _pending.ContainsKey(tid)))
                return errno;
        }
        _pending[tid] = pending;
        return 0;
    }

    /// <summary>A traced task stopped (waitpid reported WIFSTOPPED).</summary>
    public void OnStopped(int pid, int status)
    {
        int signal = Libc.WSTOPSIG(status);
        int ptraceEvent = (status >> 16) & 0xff;
        switch (ptraceEvent)
        {
            case Libc.PTRACE_EVENT_EXEC:
                OnExecLoaded(pid);
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

    /// <summary>A traced task is gone (exit reported to us as its tracer).</summary>
    public void OnExited(int pid) => _pending.Remove(pid);

    private unsafe void OnExecLoaded(int pid)
    {
        // An exec from a non-leader thread reports under the thread-group id; the thread we
        // seized is in the event message.
        nint formerTid = 0;
        Libc.Ptrace(Libc.PTRACE_GETEVENTMSG, pid, 0, (nint)(&formerTid));
        if (!_pending.Remove((int)formerTid, out PendingExec? pending))
            _pending.Remove(pid, out pending);

        ExecTarget? target = ExecPathResolver.DescribeLoaded(pid);
        ExecDecision decision = target is null
            ? new ExecDecision(new ControlFinding(DriftPrevention.ControlName, "cannot inspect the loaded image (/proc/PID/exe unreadable)"), EnforcementMode.Enforce)
            : decider.Decide(target);

        if (decision.Deny)
        {
            // Killed while stopped: the new image never runs an instruction. Reported first, while
            // /proc still shows its status and command line.
            Report(pid, target?.CanonicalPath ?? "?", pending, decision, AuditAction.Killed);
            Libc.Kill(pid, Libc.SIGKILL);
            return;   // its exit is reported to us, and that ends the trace
        }
        if (decision.Detected && !SameAsEntry(decision, pending, target))
            Report(pid, target?.CanonicalPath ?? "?", pending, decision, AuditAction.Detected);
        Libc.Ptrace(Libc.PTRACE_DETACH, pid, 0, 0);
    }

    // In audit mode the entry check already reported the same finding for the same file.
    private static bool SameAsEntry(ExecDecision loaded, PendingExec? pending, ExecTarget? target) =>
        pending?.EntryDecision.Finding is { } entry && entry.Control == loaded.Finding?.Control &&
        pending.EntryCanonicalPath == target?.CanonicalPath;

    private void Report(int pid, string path, PendingExec? pending, ExecDecision decision, AuditAction action) =>
        audit.Write(ProcessAudit.For(pid, decision.Finding!, decision, action, path, pending?.RequestedPath, null,
            pending?.Syscall ?? "execve"));

    internal static string ModeName(EnforcementMode mode) => mode == EnforcementMode.Enforce ? "enforce" : "audit";
}
