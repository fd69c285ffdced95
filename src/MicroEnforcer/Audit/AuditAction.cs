namespace MicroEnforcer.Audit;

/// <summary>What was done about a finding; the wire values are part of the audit format.</summary>
internal enum AuditAction
{
    /// <summary>Refused at syscall entry: the caller got EACCES.</summary>
    Blocked,

    /// <summary>Loaded but killed before its first instruction.</summary>
    Killed,

    /// <summary>Audit mode: allowed to run, reported.</summary>
    Detected,

    /// <summary>Forensics: something that happened, recorded; no finding, nothing refused.</summary>
    Observed,
}
