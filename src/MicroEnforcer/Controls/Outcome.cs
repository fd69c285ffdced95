using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// The one step that turns a finding into what happens: at a call's entry, the call fails with
/// the control's errno in enforce mode and goes on in audit mode; at the exec event, the process
/// is killed before the new image runs one instruction in enforce mode and goes on in audit mode.
/// Either way the audit event says what was done (blocked, killed, detected), under the control
/// that found it, with the process read from /proc while it is still there.
/// Fork Guard is the one control that reports by itself: a fork bomb is thousands of refusals a
/// second, which it aggregates into one event a second (see <see cref="ForkGuard"/>).
/// An audit-only control never decides a call: it reports what was attempted (see <see cref="Reported"/>).
/// </summary>
internal sealed class Outcome(AuditLog audit)
{
    /// <summary>At syscall entry: returns the answer, -<paramref name="errno"/> (enforce) or 0 (audit).</summary>
    public int AtCall(int tid, ControlFinding finding, EnforcementMode mode, int errno, string syscall, string path,
        string? requestedPath = null, string? cmdline = null)
    {
        bool enforce = mode == EnforcementMode.Enforce;
        Write(tid, finding, mode, enforce ? AuditAction.Blocked : AuditAction.Detected, path, requestedPath, cmdline, syscall);
        return enforce ? -errno : 0;
    }

    /// <summary>
    /// At the exec event (the process is stopped there): true when it was killed (enforce). In
    /// audit mode the event is written unless <paramref name="reportDetection"/> is false (the
    /// entry check reported the same finding already).
    /// </summary>
    public bool AtExecEvent(int pid, ControlFinding finding, EnforcementMode mode, string syscall, string path,
        string? requestedPath = null, bool reportDetection = true)
    {
        if (mode != EnforcementMode.Enforce)
        {
            if (reportDetection)
                Write(pid, finding, mode, AuditAction.Detected, path, requestedPath, null, syscall);
            return false;
        }
        // Reported first, while /proc still shows its status and command line.
        Write(pid, finding, mode, AuditAction.Killed, path, requestedPath, null, syscall);
        Libc.Kill(pid, Libc.SIGKILL);
        return true;
    }

    /// <summary>
    /// At launch (the workload before its first execve completes, an exec session once it is under
    /// enforcement, before it runs anything of its own): a process that must not run as it is is
    /// killed (enforce), or reported (audit). True when it was killed.
    /// </summary>
    /// <param name="path">What it is about to run; by default what /proc/PID/exe shows.</param>
    public bool AtLaunch(int pid, ControlFinding finding, EnforcementMode mode, string? path = null)
    {
        bool enforce = mode == EnforcementMode.Enforce;
        Write(pid, finding, mode, enforce ? AuditAction.Killed : AuditAction.Detected, path ?? NativePath.ReadLink($"/proc/{pid}/exe") ?? "?",
            null, null, "none");
        if (enforce)
            Libc.Kill(pid, Libc.SIGKILL);
        return enforce;
    }

    /// <summary>
    /// For an audit-only control: a call it lets go on untouched ("detected", mode audit). The
    /// event is written before the kernel runs the call, and PID 1 never learns its result, so the
    /// reason says the call was attempted. <paramref name="count"/>: how many calls it stands for,
    /// when aggregated; <paramref name="targets"/>: a port scan's.
    /// </summary>
    public void Reported(ProcessSnapshot process, ControlFinding finding, string syscall, string? requestedPath = null, int? count = null,
        FileChange? file = null, ScanTargets? targets = null)
    {
        ProcStatus? status = process.Status;
        audit.Write(new AuditEvent(
            finding.Control, AuditAction.Detected, EnforcementMode.Audit.ToPolicyText(),
            process.Pid, status?.PPid, status?.Uid, process.Exe, requestedPath, process.Cmdline, finding.Reason, syscall)
        {
            Count = count,
            File = file,
            Targets = targets,
        });
    }

    /// <summary>
    /// A decision made away from any call of the caller's (the DNS gate answered a query it had
    /// forwarded for it): written as blocked (enforce) or detected (audit), naming the process
    /// as it was seen when its socket was handed to the gate.
    /// </summary>
    public void Decided(int pid, ControlFinding finding, EnforcementMode mode, string syscall, string path)
    {
        bool enforce = mode == EnforcementMode.Enforce;
        Write(pid, finding, mode, enforce ? AuditAction.Blocked : AuditAction.Detected, path, null, null, syscall);
    }

    private void Write(int tid, ControlFinding finding, EnforcementMode mode, AuditAction action, string path, string? requestedPath,
        string? cmdline, string syscall)
    {
        ProcStatus? status = ProcStatus.Read(tid);
        audit.Write(new AuditEvent(
            finding.Control, action, mode.ToPolicyText(),
            status?.Tgid ?? tid, status?.PPid, status?.Uid, path, requestedPath, cmdline ?? ProcCmdline.Read(tid),
            finding.Reason, syscall)
        {
            Remote = finding.Remote,
            Local = finding.Local,
            Protocol = finding.Protocol,
            Domain = finding.Domain,
        });
    }
}
