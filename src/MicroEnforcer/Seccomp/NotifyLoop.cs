using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Launcher;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Ptrace;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Answers the workload's exec calls at syscall entry. This is the fast check: it refuses drift
/// with EACCES, so a shell prints "Permission denied". It is not the decisive one: what it reads
/// from the caller's memory may be rewritten after it answers, so every CONTINUE is preceded by a
/// seize, and the <see cref="Tracer"/> decides again on what the kernel actually loaded.
///
/// Every read of the caller's memory is followed by SECCOMP_IOCTL_NOTIF_ID_VALID: if the caller
/// died and its pid was reused, what was read belongs to someone else.
/// </summary>
internal sealed partial class NotifyLoop(int listenerFd, ExecDecider decider, Supervisor supervisor,
    AuditLog audit, EnforcementMode failureMode, ILogger log)
{
    public void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "seccomp-notify" };
        thread.Start();
    }

    private unsafe void Run()
    {
        while (true)
        {
            Libc.seccomp_notif notification = default;   // the kernel insists on a zeroed buffer
            if (Libc.Ioctl(listenerFd, Libc.SECCOMP_IOCTL_NOTIF_RECV, &notification) != 0)
            {
                int errno = Libc.LastErrno;
                if (errno is Libc.EINTR or Libc.ENOENT)
                    continue;   // ENOENT: the caller was gone before we could receive it
                Log.NotifyLoopStopped(log, Libc.DescribeErrno(errno));
                return;
            }
            try
            {
                Handle(notification);
            }
            catch (Exception e)
            {
                // Fail closed: an exec nobody could judge does not run in enforce mode.
                Log.NotifyHandlerFailed(log, (int)notification.pid, e);
                Respond(notification.id, failureMode == EnforcementMode.Enforce ? -Libc.EACCES : 0);
            }
        }
    }

    private void Handle(in Libc.seccomp_notif notification)
    {
        int tid = (int)notification.pid;
        ExecRequest? request = ExecRequest.Decode(notification.data);
        if (request is null)
        {
            // The filter only sends execs here; anything else is a bug, and is refused.
            Respond(notification.id, -Libc.EPERM);
            return;
        }

        int errno = ProcessMemory.TryReadCString(tid, request.PathAddress, ProcessMemory.PathMax, out string? path);
        if (!IsStillValid(notification.id))
            return;   // the caller is gone; nobody is waiting for an answer
        if (errno is Libc.EFAULT or Libc.ENAMETOOLONG)
        {
            Respond(notification.id, -errno);   // exactly what the kernel would answer
            return;
        }
        if (errno != 0 || path is null)
        {
            Undecidable(notification.id, tid, request, "?",
                $"cannot read the exec path from the caller's memory: {Libc.DescribeErrno(errno)}");
            return;
        }

        string? lookup = ExecPathResolver.LookupPath(tid, request.DirFd, path, request.Flags);
        if (lookup is null)
        {
            Respond(notification.id, -Libc.ENOENT);
            return;
        }
        int fd = ExecPathResolver.Open(lookup, request.Flags);
        if (fd < 0)
        {
            // The exec would fail the same way now; answering it ourselves needs no tracer.
            Respond(notification.id, fd);
            return;
        }

        ExecTarget? target;
        ExecDecision decision;
        try
        {
            target = ExecPathResolver.Describe(tid, fd);
            if (target is null)
            {
                Undecidable(notification.id, tid, request, path, "cannot inspect the file to be executed");
                return;
            }
            decision = decider.Decide(target);
        }
        finally
        {
            Libc.Close(fd);
        }

        if (decision.Deny)
        {
            Report(tid, target.CanonicalPath, path, request, decision, AuditAction.Blocked);
            Respond(notification.id, -Libc.EACCES);
            return;
        }
        if (decision.Detected)
            Report(tid, target.CanonicalPath, path, request, decision, AuditAction.Detected);

        int seizeErrno = supervisor.Seize(tid, new PendingExec(request.Syscall, path, decision, target.CanonicalPath));
        if (seizeErrno != 0 && seizeErrno != Libc.ESRCH)
        {
            Undecidable(notification.id, tid, request, path,
                $"cannot attach the tracer that verifies the loaded image: {Libc.DescribeErrno(seizeErrno)}");
            return;
        }
        Respond(notification.id, 0);
    }

    /// <summary>No decision is possible: refuse in enforce mode, let it run and say so in audit mode.</summary>
    private void Undecidable(ulong id, int tid, ExecRequest request, string path, string reason)
    {
        var decision = new ExecDecision(new ControlFinding(DriftPrevention.ControlName, reason), failureMode);
        Report(tid, path, path, request, decision, decision.Deny ? AuditAction.Blocked : AuditAction.Detected);
        Respond(id, decision.Deny ? -Libc.EACCES : 0);
    }

    // Only reports read the argv from the caller's memory: an allowed exec never pays for it.
    // The caller is still parked in its notification, so the argv is the one it passed.
    private void Report(int tid, string path, string requestedPath, ExecRequest request,
        ExecDecision decision, AuditAction action)
    {
        string? cmdline = ProcessMemory.TryReadArgv(tid, request.ArgvAddress, request.Pointers32);
        ProcStatus? status = ProcStatus.Read(tid);
        audit.Write(new AuditEvent(
            decision.Finding!.Control, action, Tracer.ModeName(decision.Mode), status?.Tgid ?? tid, status?.PPid,
            status?.Uid, path, requestedPath, cmdline, decision.Finding.Reason, request.Syscall));
    }

    private unsafe bool IsStillValid(ulong id) =>
        Libc.Ioctl(listenerFd, Libc.SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;

    /// <summary>0 lets the call proceed (CONTINUE); a negative errno fails it.</summary>
    private unsafe void Respond(ulong id, int negativeErrno)
    {
        var response = new Libc.seccomp_notif_resp
        {
            id = id,
            error = negativeErrno,
            flags = negativeErrno == 0 ? Libc.SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0,
        };
        // ENOENT: the caller died or was interrupted by a signal meanwhile; it will ask again.
        Libc.Ioctl(listenerFd, Libc.SECCOMP_IOCTL_NOTIF_SEND, &response);
    }
}
