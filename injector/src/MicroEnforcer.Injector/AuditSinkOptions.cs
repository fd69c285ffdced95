namespace MicroEnforcer.Injector;

/// <summary>
/// Audit sinks every injected workload sends its events to, beside stderr (section
/// `Injector:Audit`, e.g. `Injector__Audit__OtlpEndpoint`; `fargate inject --audit-...`). Each one
/// configured becomes a MICROENFORCER_AUDIT_* variable of the injected containers, which the
/// enforcer adds to its policy's sinks; empty ones are not set.
/// </summary>
public sealed class AuditSinkOptions
{
    /// <summary>OTLP/HTTP logs endpoint, e.g. `http://otel-collector.observability:4318/v1/logs`.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>falcosidekick, e.g. `http://falcosidekick.falco:2801/`.</summary>
    public string FalcoEndpoint { get; set; } = "";

    /// <summary>Syslog receiver `host:port` (RFC 5424 over TCP).</summary>
    public string SyslogAddress { get; set; } = "";

    /// <summary>RFC 5425 TLS to the syslog receiver; unset: the enforcer's default (plain TCP).</summary>
    public bool? SyslogTls { get; set; }

    /// <summary>CA bundle (a path inside the workload's container) trusted for the https and TLS sinks.</summary>
    public string CaFile { get; set; } = "";

    /// <summary>File (a path inside the workload's container) whose content is sent as `Authorization: Bearer`.</summary>
    public string BearerTokenFile { get; set; } = "";
}
