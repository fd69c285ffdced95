namespace MicroEnforcer.Audit;

/// <summary>One decision of a control, as written to the audit log.</summary>
internal sealed record AuditEvent(
    string Control,
    AuditAction Action,
    string Mode,
    int Pid,
    int? PPid,
    int? Uid,
    string Path,
    string? RequestedPath,
    string? Cmdline,
    string Reason,
    string Syscall)
{
    public DateTimeOffset Time { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>For aggregated events: how many decisions this one event stands for.</summary>
    public int? Count { get; init; }

    /// <summary>For network findings: the remote end, "address:port".</summary>
    public string? Remote { get; init; }

    /// <summary>For network findings: the local end of a bind or listen, "address:port".</summary>
    public string? Local { get; init; }

    /// <summary>For network findings: tcp, udp, raw.</summary>
    public string? Protocol { get; init; }

    /// <summary>For DNS findings: the name looked up.</summary>
    public string? Domain { get; init; }

    /// <summary>For File Integrity Monitoring: the file, the operation and its hashes.</summary>
    public FileChange? File { get; init; }

    /// <summary>For Port Scanning Detection: the targets tried.</summary>
    public ScanTargets? Targets { get; init; }

    /// <summary>For Forensics: what happened (a process start or exit, a connection, a listening socket, an aggregate).</summary>
    public ForensicsFacts? Forensics { get; init; }

    /// <summary>For a policy reload (control "policyReload"): the file, the outcome, the hashes and the changes.</summary>
    public PolicyReloadFacts? Reload { get; init; }

    /// <summary>For an audit sink that dropped events (control "audit"): the sink and the exact count.</summary>
    public SinkDropFacts? Dropped { get; init; }
}
