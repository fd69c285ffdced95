using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Audit;

/// <summary>Builds the audit event for a finding about a live process, reading its /proc.</summary>
internal static class ProcessAudit
{
    public static AuditEvent For(int tid, ControlFinding finding, ExecDecision decision, AuditAction action,
        string path, string? requestedPath, string? cmdline, string syscall)
    {
        ProcStatus? status = ProcStatus.Read(tid);
        return new AuditEvent(
            finding.Control, action, decision.Mode.ToPolicyText(),
            status?.Tgid ?? tid, status?.PPid, status?.Uid, path, requestedPath, cmdline ?? ProcCmdline.Read(tid),
            finding.Reason, syscall)
        {
            Remote = finding.Remote,
        };
    }
}
