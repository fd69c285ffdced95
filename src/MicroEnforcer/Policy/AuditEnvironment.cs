namespace MicroEnforcer.Policy;

/// <summary>
/// The audit sinks the environment adds to the policy's list: the injector sets these variables
/// on a pod or task definition, where editing the policy is not the user's job. Read at start,
/// not part of the policy file, so a reloaded file compares with the file and not with them.
/// </summary>
public static class AuditEnvironment
{
    public const string OtlpEndpoint = "MICROENFORCER_AUDIT_OTLP_ENDPOINT";
    public const string FalcoEndpoint = "MICROENFORCER_AUDIT_FALCO_ENDPOINT";
    public const string SyslogAddress = "MICROENFORCER_AUDIT_SYSLOG_ADDRESS";
    public const string SyslogTls = "MICROENFORCER_AUDIT_SYSLOG_TLS";
    public const string CaFile = "MICROENFORCER_AUDIT_CA_FILE";
    public const string BearerTokenFile = "MICROENFORCER_AUDIT_BEARER_TOKEN_FILE";

    /// <summary>
    /// <paramref name="policy"/> with a sink for each of the endpoint variables set (an empty
    /// value is unset); the CA file applies to those of them that use TLS, the token file to the
    /// HTTP ones. A sink the policy lists already is not added twice. Null, with every error
    /// (each naming its variable), when a value is bad.
    /// </summary>
    public static AuditPolicy? Apply(AuditPolicy policy, Func<string, string?> variable, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(variable);
        var problems = new List<string>();
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value.Trim() : null;

        string? caFile = Get(CaFile);
        string? tokenFile = Get(BearerTokenFile);
        if (caFile is not null && !caFile.StartsWith('/'))
            problems.Add($"{CaFile}='{caFile}': not an absolute path");
        if (tokenFile is not null && !tokenFile.StartsWith('/'))
            problems.Add($"{BearerTokenFile}='{tokenFile}': not an absolute path");

        var added = new List<AuditSinkPolicy>();
        bool anyTls = false, anyHttp = false;
        foreach ((string name, string type) in (ReadOnlySpan<(string, string)>)[(OtlpEndpoint, HttpSinkPolicy.OtlpType), (FalcoEndpoint, HttpSinkPolicy.FalcoType)])
        {
            if (Get(name) is not { } text)
                continue;
            if (HttpSinkPolicy.ParseEndpoint(type, text, out Uri endpoint) is { } error)
            {
                problems.Add($"{name}: {error}");
                continue;
            }
            bool https = endpoint.Scheme == Uri.UriSchemeHttps;
            anyTls |= https;
            anyHttp = true;
            added.Add(new HttpSinkPolicy(type, endpoint, https ? caFile : null, tokenFile, HttpSinkPolicy.DefaultTimeout));
        }

        bool tls = false;
        if (Get(SyslogTls) is { } tlsText)
        {
            if (tlsText is not ("true" or "false"))
                problems.Add($"{SyslogTls}='{tlsText}': expected true or false");
            else if (Get(SyslogAddress) is null)
                problems.Add($"{SyslogTls} is set but {SyslogAddress} is not: there is no syslog sink for it to apply to");
            tls = tlsText == "true";
        }
        if (Get(SyslogAddress) is { } address)
        {
            if (SyslogSinkPolicy.ParseAddress(address, out string host, out int port) is { } error)
                problems.Add($"{SyslogAddress}: {error}");
            else
                added.Add(new SyslogSinkPolicy(host, port, tls, tls ? caFile : null, SyslogSinkPolicy.DefaultFacility, SyslogSinkPolicy.DefaultAppName));
            anyTls |= tls;
        }

        // A setting no sink takes is a mistake someone would otherwise look for in vain.
        if (caFile is not null && !anyTls && problems.Count == 0)
            problems.Add($"{CaFile} is set but no sink from the environment uses TLS (an https:// endpoint or {SyslogTls}=true)");
        if (tokenFile is not null && !anyHttp && problems.Count == 0)
            problems.Add($"{BearerTokenFile} is set but neither {OtlpEndpoint} nor {FalcoEndpoint} is");

        errors = problems;
        if (problems.Count > 0)
            return null;
        IEnumerable<AuditSinkPolicy> extra = added.Where(sink => !policy.Sinks.Contains(sink));
        return policy with { Sinks = PolicyList.From(policy.Sinks.Concat(extra)) };
    }
}
