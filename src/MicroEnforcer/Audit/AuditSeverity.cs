using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// How much an event asks for attention, for the formats that carry a level (OTLP's
/// severity_number, syslog's severity). Falco's priority is per control instead (FalcoFormat).
/// </summary>
internal enum AuditSeverity
{
    /// <summary>Something that happened and was recorded: Forensics, an applied reload.</summary>
    Informational,

    /// <summary>A finding: refused (blocked) or let through in audit mode (detected); or something lost: a rejected reload, a sink's dropped events.</summary>
    Warning,

    /// <summary>A process was killed.</summary>
    Error,
}

internal static class EventSeverity
{
    public static AuditSeverity Of(Event e) => e.Action switch
    {
        EventAction.Killed => AuditSeverity.Error,
        EventAction.Blocked or EventAction.Detected => AuditSeverity.Warning,
        // Observed: a fact, unless it says something went missing.
        _ when e.Dropped is not null => AuditSeverity.Warning,
        _ when e.Reload is { Result: "rejected" } => AuditSeverity.Warning,
        _ => AuditSeverity.Informational,
    };
}
