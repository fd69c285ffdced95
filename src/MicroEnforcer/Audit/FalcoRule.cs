using System.Collections.Frozen;
using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// The Falco rule an event of a control is reported as (falcosidekick routes and filters on rule
/// and priority): the rule's name, its priority by action, and its tags. Blocked and killed take
/// the control's enforced priority: Critical where a refusal means an attack was under way
/// (fileless execution, a reverse shell, drift, mining, an escalation), Warning for a breach of the
/// policy's lists. Detected is Warning, but Critical where the finding means the attack ran
/// (reverse shell, fileless, mining), and Notice for an exec session (kubectl exec is routine).
/// Observed is Informational (Forensics), Notice for a policy reload, Warning when something was
/// lost (a rejected reload, a sink's drops). The same table is in docs/audit-sinks.md; a test checks
/// that every control of ControlRegistry has a row.
/// </summary>
internal sealed record FalcoRule(string Control, string Name, FalcoPriority Enforced, FalcoPriority Detected, FalcoPriority Observed, string[] Tags)
{
    private const FalcoPriority Critical = FalcoPriority.Critical;
    private const FalcoPriority Warning = FalcoPriority.Warning;
    private const FalcoPriority Notice = FalcoPriority.Notice;
    private const FalcoPriority Informational = FalcoPriority.Informational;

    public static IReadOnlyList<FalcoRule> All { get; } =
    [
        new("fileless", "MicroEnforcer Fileless Execution", Critical, Critical, Informational, ["process", "mitre_defense_evasion", "T1620"]),
        new("reverseShell", "MicroEnforcer Reverse Shell", Critical, Critical, Informational, ["process", "network", "mitre_execution", "T1059"]),
        new("executablesBlocked", "MicroEnforcer Executable Blocked", Warning, Warning, Informational, ["process", "mitre_execution"]),
        new("fileBlock", "MicroEnforcer File Blocked", Warning, Warning, Informational, ["filesystem", "mitre_collection"]),
        new("packageBlock", "MicroEnforcer Package Blocked", Warning, Warning, Informational, ["process", "mitre_execution"]),
        new("drift", "MicroEnforcer Drift Prevention", Critical, Warning, Informational, ["process", "mitre_persistence", "TA0003"]),
        new("executablesAllowed", "MicroEnforcer Executable Not Allowed", Warning, Warning, Informational, ["process", "mitre_execution"]),
        new("forkGuard", "MicroEnforcer Fork Guard", Warning, Warning, Informational, ["process", "mitre_impact", "T1499"]),
        new("capabilitiesBlock", "MicroEnforcer Capabilities Blocked", Warning, Warning, Informational, ["process", "mitre_privilege_escalation"]),
        new("limitNewPrivileges", "MicroEnforcer Privilege Escalation", Critical, Warning, Informational, ["process", "mitre_privilege_escalation", "T1548"]),
        new("systemIntegrity", "MicroEnforcer System Integrity", Warning, Warning, Informational, ["host", "mitre_defense_evasion"]),
        new("ptrace", "MicroEnforcer Ptrace Blocked", Warning, Warning, Informational, ["process", "mitre_privilege_escalation", "T1055.008"]),
        new("blockContainerExec", "MicroEnforcer Container Exec", Warning, Notice, Informational, ["process", "mitre_execution", "T1609"]),
        new("fileIntegrity", "MicroEnforcer File Integrity", Warning, Warning, Informational, ["filesystem", "mitre_persistence"]),
        new("readOnly", "MicroEnforcer Read-Only Path", Warning, Warning, Informational, ["filesystem", "mitre_persistence"]),
        new("portBlock", "MicroEnforcer Port Blocked", Warning, Warning, Informational, ["network"]),
        new("reputation", "MicroEnforcer Bad Reputation Destination", Warning, Warning, Informational, ["network", "mitre_command_and_control"]),
        new("cryptoMining", "MicroEnforcer Crypto Mining", Critical, Critical, Informational, ["network", "process", "mitre_impact", "T1496"]),
        new("portScanDetection", "MicroEnforcer Port Scan", Warning, Warning, Informational, ["network", "mitre_discovery", "T1046"]),
        new("forensics", "MicroEnforcer Forensics", Warning, Warning, Informational, ["process", "network"]),
        new("execSessions", "MicroEnforcer Exec Session", Critical, Warning, Informational, ["process", "mitre_execution", "T1609"]),
        new("policyReload", "MicroEnforcer Policy Reload", Warning, Warning, Notice, ["microenforcer"]),
        new("audit", "MicroEnforcer Audit Events Dropped", Warning, Warning, Warning, ["microenforcer"]),
    ];

    private static readonly FrozenDictionary<string, FalcoRule> ByControl = All.ToFrozenDictionary(r => r.Control, StringComparer.Ordinal);

    /// <summary>The control's rule; a control the table does not know yet is still reported, under its own name.</summary>
    public static FalcoRule For(string control) =>
        ByControl.TryGetValue(control, out FalcoRule? rule) ? rule : new(control, $"MicroEnforcer {control}", Warning, Warning, Informational, []);

    public FalcoPriority Priority(Event e)
    {
        FalcoPriority priority = e.Action switch
        {
            EventAction.Blocked or EventAction.Killed => Enforced,
            EventAction.Observed => Observed,
            _ => Detected,
        };
        // An observed event that says something was lost is at least a warning (lower enum value: more urgent).
        return e.Action == EventAction.Observed && EventSeverity.Of(e) == AuditSeverity.Warning && priority > Warning ? Warning : priority;
    }
}
