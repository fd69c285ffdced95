namespace MicroEnforcer.Injector;

/// <summary>
/// The environment variables the injector gives every workload container (the names are the
/// enforcer's, see docs): the audit sinks configured in AuditSinkOptions, and the identity of
/// the resource its events are about. In a pod the pod's name and namespace come from the
/// downward API (a generated name is only known once the pod is created); container name and
/// image are written as they are. A variable the container already sets is never overwritten.
/// </summary>
public static class EnforcerEnvironment
{
    public const string AuditOtlpEndpoint = "MICROENFORCER_AUDIT_OTLP_ENDPOINT";
    public const string AuditFalcoEndpoint = "MICROENFORCER_AUDIT_FALCO_ENDPOINT";
    public const string AuditSyslogAddress = "MICROENFORCER_AUDIT_SYSLOG_ADDRESS";
    public const string AuditSyslogTls = "MICROENFORCER_AUDIT_SYSLOG_TLS";
    public const string AuditCaFile = "MICROENFORCER_AUDIT_CA_FILE";
    public const string AuditBearerTokenFile = "MICROENFORCER_AUDIT_BEARER_TOKEN_FILE";
    public const string PodName = "MICROENFORCER_POD_NAME";
    public const string PodNamespace = "MICROENFORCER_POD_NAMESPACE";
    public const string ContainerName = "MICROENFORCER_CONTAINER_NAME";
    public const string Image = "MICROENFORCER_IMAGE";

    /// <summary>Every name the injector may set (to recognise them, e.g. when taking an injection out).</summary>
    public static IReadOnlyList<string> Names { get; } =
        [AuditOtlpEndpoint, AuditFalcoEndpoint, AuditSyslogAddress, AuditSyslogTls, AuditCaFile, AuditBearerTokenFile, PodName, PodNamespace, ContainerName, Image];

    /// <summary>The configured sinks' variables, in a fixed order; none when nothing is configured.</summary>
    public static List<KeyValuePair<string, string>> AuditSinks(AuditSinkOptions audit)
    {
        var variables = new List<KeyValuePair<string, string>>();
        void Add(string name, string value)
        {
            if (!string.IsNullOrWhiteSpace(value))
                variables.Add(new(name, value.Trim()));
        }
        Add(AuditOtlpEndpoint, audit.OtlpEndpoint);
        Add(AuditFalcoEndpoint, audit.FalcoEndpoint);
        Add(AuditSyslogAddress, audit.SyslogAddress);
        if (audit.SyslogTls is bool tls)
            Add(AuditSyslogTls, tls ? "true" : "false");
        Add(AuditCaFile, audit.CaFile);
        Add(AuditBearerTokenFile, audit.BearerTokenFile);
        return variables;
    }
}
