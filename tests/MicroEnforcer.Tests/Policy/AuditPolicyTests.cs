using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public sealed class AuditPolicyTests
{
    private static string Spec(string audit) => $"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          audit:
        {audit}
        """;

    [Fact]
    public void NoAuditSection_IsStderrOnly_WithTheDefaults()
    {
        var policy = Load("apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec: {}\n");

        Assert.Equal(AuditPolicy.Default, policy.Audit);
        Assert.Equal(10_000, policy.Audit.QueueSize);
        Assert.Equal(TimeSpan.FromSeconds(5), policy.Audit.FlushTimeout);
        Assert.Equal([StderrSinkPolicy.Instance], policy.Audit.Sinks);
    }

    [Fact]
    public void EveryTypeAndField_IsRead()
    {
        var audit = Load(Spec("""
                queueSize: 500
                flushTimeout: 1m
                sinks:
                  - type: stderr
                  - type: otlp
                    endpoint: https://collector.example:4318
                    caFile: /etc/ca.pem
                    bearerTokenFile: /var/run/secrets/token
                    timeout: 3s
                  - type: falco
                    endpoint: http://127.0.0.1:2801/
                  - type: syslog
                    address: "[fd00::1]:6514"
                    tls: true
                    caFile: /etc/syslog-ca.pem
                    facility: local3
                    appName: shop
            """)).Audit;

        Assert.Equal(500, audit.QueueSize);
        Assert.Equal(TimeSpan.FromMinutes(1), audit.FlushTimeout);
        Assert.Equal(4, audit.Sinks.Count);
        var otlp = Assert.IsType<HttpSinkPolicy>(audit.Sinks[1]);
        Assert.Equal(("otlp", "https://collector.example:4318/v1/logs", "/etc/ca.pem", "/var/run/secrets/token", TimeSpan.FromSeconds(3)),
            (otlp.Type, otlp.Endpoint.ToString(), otlp.CaFile, otlp.BearerTokenFile, otlp.Timeout));
        var falco = Assert.IsType<HttpSinkPolicy>(audit.Sinks[2]);
        Assert.Equal(("falco", "http://127.0.0.1:2801/", HttpSinkPolicy.DefaultTimeout), (falco.Type, falco.Endpoint.ToString(), falco.Timeout));
        var syslog = Assert.IsType<SyslogSinkPolicy>(audit.Sinks[3]);
        Assert.Equal(new SyslogSinkPolicy("fd00::1", 6514, true, "/etc/syslog-ca.pem", 19, "shop"), syslog);
        Assert.Equal("[fd00::1]:6514", syslog.Address);
    }

    [Fact]
    public void AnOtlpEndpointWithAPath_KeepsIt()
    {
        var otlp = (HttpSinkPolicy)Load(Spec("""
                sinks: [{type: otlp, endpoint: "http://127.0.0.1:4318/custom/logs"}]
            """)).Audit.Sinks[0];

        Assert.Equal("http://127.0.0.1:4318/custom/logs", otlp.Endpoint.ToString());
    }

    [Fact]
    public void SameSinks_CompareEqual_SoAReloadSeesNoChange()
    {
        string text = Spec("""
                sinks: [{type: stderr}, {type: otlp, endpoint: "http://c:4318"}]
            """);

        Assert.Equal(Load(text), Load(text));
        Assert.Equal(Load(text).GetHashCode(), Load(text).GetHashCode());
        Assert.NotEqual(Load(text), Load(text.Replace("c:4318", "d:4318", StringComparison.Ordinal)));
        Assert.Contains("Endpoint = http://c:4318/v1/logs", Load(text).ToString(), StringComparison.Ordinal);   // a logged policy shows its sinks
    }

    [Theory]
    [InlineData("- type: kafka", 6, "spec.audit.sinks[0].type", "unknown sink type 'kafka'; allowed: stderr, otlp, falco, syslog")]
    [InlineData("- stderr", 6, "spec.audit.sinks[0]", "expected a sink mapping such as {type: stderr}, got 'stderr'")]
    [InlineData("- endpoint: http://x", 6, "spec.audit.sinks[0].type", "missing required field 'type'")]
    [InlineData("- type: otlp", 6, "spec.audit.sinks[0].endpoint", "missing required field 'endpoint'")]
    [InlineData("- {type: otlp, endpoint: 127.0.0.1:4318}", 6, "spec.audit.sinks[0].endpoint",
        "invalid endpoint '127.0.0.1:4318': expected an absolute http:// or https:// URL such as http://127.0.0.1:4318/v1/logs")]
    [InlineData("- {type: falco, endpoint: ftp://x/}", 6, "spec.audit.sinks[0].endpoint",
        "invalid endpoint 'ftp://x/': expected an absolute http:// or https:// URL such as http://127.0.0.1:4318/v1/logs")]
    [InlineData("- {type: otlp, endpoint: \"http://c:4318\", caFile: /ca.pem}", 6, "spec.audit.sinks[0].caFile",
        "caFile applies to https only; the endpoint http://c:4318/v1/logs is plain http")]
    [InlineData("- {type: otlp, endpoint: \"https://c\", bearerTokenFile: token}", 6, "spec.audit.sinks[0].bearerTokenFile",
        "'token' is not an absolute path: name the bearerTokenFile by its absolute path")]
    [InlineData("- {type: otlp, endpoint: \"https://c\", timeout: 10}", 6, "spec.audit.sinks[0].timeout",
        "invalid duration '10': a number needs a unit (ms, s, m, h), e.g. 10s")]
    [InlineData("- {type: otlp, endpoint: \"https://c\", address: \"c:1\"}", 6, "spec.audit.sinks[0].address",
        "unknown field 'address' (allowed: type, endpoint, caFile, bearerTokenFile, timeout)")]
    [InlineData("- {type: syslog, address: fd00::1:6514}", 6, "spec.audit.sinks[0].address",
        "invalid address 'fd00::1:6514': an IPv6 address goes in brackets, e.g. [fd00::1]:6514")]
    [InlineData("- {type: syslog, address: \"syslog:0\"}", 6, "spec.audit.sinks[0].address",
        "invalid address 'syslog:0': the port must be a number from 1 to 65535")]
    [InlineData("- {type: syslog, address: syslog}", 6, "spec.audit.sinks[0].address",
        "invalid address 'syslog': write host:port such as 127.0.0.1:6514, syslog.example.com:6514 or [fd00::1]:6514")]
    [InlineData("- {type: syslog, address: \"s:514\", caFile: /ca.pem}", 6, "spec.audit.sinks[0].caFile", "caFile applies to TLS only; add tls: true")]
    [InlineData("- {type: syslog, address: \"s:514\", facility: local9}", 6, "spec.audit.sinks[0].facility",
        "unknown facility 'local9'; allowed: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock, local0, local1, local2, local3, local4, local5, local6, local7")]
    [InlineData("- {type: syslog, address: \"s:514\", appName: \"my app\"}", 6, "spec.audit.sinks[0].appName",
        "invalid appName 'my app': 1 to 48 printable ASCII characters without spaces (RFC 5424 APP-NAME)")]
    [InlineData("- {type: stderr, endpoint: \"http://x\"}", 6, "spec.audit.sinks[0].endpoint", "unknown field 'endpoint' (allowed: type)")]
    public void ABadSink_IsRefused_AtItsLine(string sink, int line, string field, string message)
    {
        var error = Assert.Single(Errors(Spec($"    sinks:\n      {sink}")));

        Assert.Equal((field, message, line), (error.Field, error.Message, error.Line));
    }

    [Fact]
    public void ADuplicateSink_IsRefused_AtTheSecond()
    {
        var error = Assert.Single(Errors(Spec("""
                sinks:
                  - type: otlp
                    endpoint: http://c:4318
                  - type: otlp
                    endpoint: http://c:4318/v1/logs
            """)));

        Assert.Equal(("spec.audit.sinks[1].type", 8), (error.Field, error.Line));
        Assert.Equal("duplicate sink: otlp http://c:4318/v1/logs is listed twice (each event would be delivered twice)", error.Message);
    }

    [Theory]
    [InlineData("queueSize: 0", "spec.audit.queueSize", "queueSize must be from 1 to 1000000, got 0")]
    [InlineData("queueSize: 2000000", "spec.audit.queueSize", "queueSize must be from 1 to 1000000, got 2000000")]
    [InlineData("flushTimeout: 2m", "spec.audit.flushTimeout", "flushTimeout must be from 0s to 1m, got 2m")]
    [InlineData("sinks: []", "spec.audit.sinks", "sinks must name at least one sink; list {type: stderr} to keep the JSON line on stderr")]
    [InlineData("sinks: stderr", "spec.audit.sinks", "expected a list of sinks, each a mapping with a type (e.g. [{type: stderr}, {type: otlp, endpoint: http://127.0.0.1:4318}]), got 'stderr'")]
    [InlineData("sink: []", "spec.audit.sink", "unknown field 'sink'; did you mean 'sinks'? (allowed: queueSize, flushTimeout, sinks)")]
    public void BadSettings_AreRefused_AtTheirLine(string setting, string field, string message)
    {
        var error = Assert.Single(Errors(Spec($"    {setting}")));

        Assert.Equal((field, message, 5), (error.Field, error.Message, error.Line));
    }

    [Fact]
    public void TheEnvironment_AddsItsSinks_ToThePolicys()
    {
        var variables = new Dictionary<string, string>
        {
            [AuditEnvironment.OtlpEndpoint] = "https://collector:4318",
            [AuditEnvironment.FalcoEndpoint] = "http://sidekick:2801/",
            [AuditEnvironment.SyslogAddress] = "syslog:6514",
            [AuditEnvironment.SyslogTls] = "true",
            [AuditEnvironment.CaFile] = "/etc/ca.pem",
            [AuditEnvironment.BearerTokenFile] = "/token",
        };

        var audit = AuditEnvironment.Apply(AuditPolicy.Default, variables.GetValueOrDefault, out var errors);

        Assert.Empty(errors);
        Assert.Equal<AuditSinkPolicy>(
        [
            StderrSinkPolicy.Instance,
            new HttpSinkPolicy("otlp", new Uri("https://collector:4318/v1/logs"), "/etc/ca.pem", "/token", HttpSinkPolicy.DefaultTimeout),
            new HttpSinkPolicy("falco", new Uri("http://sidekick:2801/"), null, "/token", HttpSinkPolicy.DefaultTimeout),
            new SyslogSinkPolicy("syslog", 6514, true, "/etc/ca.pem", SyslogSinkPolicy.DefaultFacility, SyslogSinkPolicy.DefaultAppName),
        ], audit!.Sinks);
    }

    [Fact]
    public void NoVariables_LeaveThePolicyAsItIs_AndASinkThePolicyHasIsNotAddedTwice()
    {
        var otlp = new HttpSinkPolicy("otlp", new Uri("http://c:4318/v1/logs"), null, null, HttpSinkPolicy.DefaultTimeout);
        var policy = AuditPolicy.Default with { Sinks = [StderrSinkPolicy.Instance, otlp] };

        Assert.Equal(policy, AuditEnvironment.Apply(policy, _ => null, out _));
        Assert.Equal(policy, AuditEnvironment.Apply(policy, name => name == AuditEnvironment.OtlpEndpoint ? "http://c:4318" : null, out _));
    }

    [Theory]
    [InlineData(AuditEnvironment.OtlpEndpoint, "collector:4318",
        "MICROENFORCER_AUDIT_OTLP_ENDPOINT: invalid endpoint 'collector:4318': expected an absolute http:// or https:// URL such as http://127.0.0.1:4318/v1/logs")]
    [InlineData(AuditEnvironment.SyslogAddress, "syslog",
        "MICROENFORCER_AUDIT_SYSLOG_ADDRESS: invalid address 'syslog': write host:port such as 127.0.0.1:6514, syslog.example.com:6514 or [fd00::1]:6514")]
    [InlineData(AuditEnvironment.SyslogTls, "yes", "MICROENFORCER_AUDIT_SYSLOG_TLS='yes': expected true or false")]
    [InlineData(AuditEnvironment.CaFile, "/ca.pem",
        "MICROENFORCER_AUDIT_CA_FILE is set but no sink from the environment uses TLS (an https:// endpoint or MICROENFORCER_AUDIT_SYSLOG_TLS=true)")]
    [InlineData(AuditEnvironment.BearerTokenFile, "token", "MICROENFORCER_AUDIT_BEARER_TOKEN_FILE='token': not an absolute path")]
    public void ABadVariable_RefusesTheStart_NamingIt(string name, string value, string message)
    {
        var variables = new Dictionary<string, string> { [name] = value };
        if (name == AuditEnvironment.SyslogTls)
            variables[AuditEnvironment.SyslogAddress] = "s:514";

        Assert.Null(AuditEnvironment.Apply(AuditPolicy.Default, variables.GetValueOrDefault, out var errors));
        Assert.Equal(message, Assert.Single(errors));
    }

    [Fact]
    public void TheDefaultPolicy_DocumentsTheSection_AndIsStderrOnly()
    {
        Assert.Contains("  audit:", DefaultPolicy.Text, StringComparison.Ordinal);
        Assert.Equal(AuditPolicy.Default, ControlRegistry.DefaultPolicy().Audit);
    }

    private static RuntimePolicy Load(string text)
    {
        var result = ControlRegistry.ParsePolicy(text, "t.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Policy;
    }

    private static IReadOnlyList<PolicyError> Errors(string text)
    {
        var result = ControlRegistry.ParsePolicy(text, "t.yaml");
        Assert.False(result.Succeeded);
        return result.Errors;
    }
}
