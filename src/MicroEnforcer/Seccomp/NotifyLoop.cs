using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Receives the workload's notified syscalls from the seccomp listener, hands each to the
/// control it belongs to, and answers: CONTINUE, or an errno. One thread, so the controls see
/// the calls one at a time (Fork Guard's count relies on it).
///
/// Every read of the caller's memory or /proc is followed by SECCOMP_IOCTL_NOTIF_ID_VALID: if
/// the caller died and its pid was reused, what was read belongs to someone else.
/// </summary>
internal sealed class NotifyLoop(int listenerFd, ExecEntryCheck exec, ForkGuard forkGuard,
    ReverseShellDetector reverseShell, AuditLog audit, EnforcementMode failureMode, ILogger log)
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
            int? answer;
            try
            {
                answer = Handle(notification);
            }
            catch (Exception e)
            {
                // Fail closed: a call nobody could judge does not happen in enforce mode.
                Log.NotifyHandlerFailed(log, (int)notification.pid, e);
                answer = failureMode == EnforcementMode.Enforce ? -Libc.EACCES : 0;
            }
            if (answer is int value)
                Respond(notification.id, value);
        }
    }

    private int? Handle(in Libc.seccomp_notif notification)
    {
        int tid = (int)notification.pid;
        (SyscallKind kind, bool pointers32) = SyscallClassifier.Classify(notification.data.arch, unchecked((uint)notification.data.nr));
        switch (kind)
        {
            case SyscallKind.Execve or SyscallKind.Execveat:
                return exec.Decide(notification.id, tid, ExecRequest.Decode(notification.data)!, IsStillValid);

            case SyscallKind.Fork or SyscallKind.Vfork or SyscallKind.Clone:
                // Registers only: nothing read from the caller, nothing to validate.
                return forkGuard.Decide(tid, SyscallClassifier.Name(kind));

            case SyscallKind.Dup or SyscallKind.Dup2 or SyscallKind.Dup3 or SyscallKind.FcntlDupfd
                or SyscallKind.Connect or SyscallKind.SocketCallConnect:
                ControlFinding? finding = reverseShell.DecideDescriptorCall(tid, kind, notification.data, pointers32);
                if (!IsStillValid(notification.id))
                    return null;
                if (finding is null)
                    return 0;
                var decision = new ExecDecision(finding, reverseShell.Mode);
                string exe = ExecPathResolver.ReadLink($"/proc/{tid}/exe") ?? "?";
                audit.Write(ProcessAudit.For(tid, finding, decision, decision.Deny ? AuditAction.Blocked : AuditAction.Detected,
                    exe, null, null, SyscallClassifier.Name(kind)));
                return decision.Deny ? -Libc.EPERM : 0;

            default:
                // The filter sends nothing else here; anything else is a bug, and is refused.
                return -Libc.EPERM;
        }
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
