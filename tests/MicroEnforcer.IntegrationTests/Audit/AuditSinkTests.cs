using System.Text.Json;
using MicroEnforcer.IntegrationTests.Audit.Receivers;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Audit.SinkRun;

namespace MicroEnforcer.IntegrationTests.Audit;

/// <summary>
/// The audit sinks end to end: the real binary as PID 1 sends a blocked drift exec to an OTLP/HTTP
/// receiver (decoded with the official protos), a falcosidekick stand-in (Falco's documented
/// fields checked) and a real rsyslog (its RFC 5424 parser), and still writes the JSON line on
/// stderr. The events are all delivered by the time PID 1 has exited: the flush at exit.
/// </summary>
public sealed class AuditSinkTests(ITestOutputHelper output)
{
    private const string PodName = "sinktests-pod";
    private const string PodNamespace = "sinktests-ns";

    [Fact]
    public void ABlockedDriftExec_ArrivesAtEveryReceiver_WithItsFields()
    {
        using var otlp = new OtlpReceiver();
        using var falco = new FalcoReceiver();
        using var syslog = RsyslogServer.Start();
        otlp.Http.Up();
        falco.Http.Up();
        string policy = Policy($"{StderrSink}\n{OtlpSink(otlp)}\n{FalcoSink(falco)}\n{SyslogSink(syslog)}");

        var r = SinkRun.Run(output, DriftExec("drifted"), policy,
            ("MICROENFORCER_POD_NAME", PodName), ("MICROENFORCER_POD_NAMESPACE", PodNamespace), ("MICROENFORCER_CONTAINER_NAME", "app"));

        Assert.Contains("drifted=126", r.Stdout);
        JsonElement line = Assert.Single(r.Events("drift", "blocked"));   // stderr keeps the JSON line
        int pid = line.GetProperty("pid").GetInt32();

        // OTLP: one LogRecord, the event's facts as attributes, the enforcer and pod as resource.
        Assert.Empty(otlp.Http.Malformed);
        Assert.All(otlp.Http.Accepted, request => Assert.Equal("gzip", request.Header("Content-Encoding")));
        foreach (OtlpRecord record in otlp.Records)
            output.WriteLine("otlp: " + record);
        OtlpRecord drift = Assert.Single(otlp.Records, e => e.Attribute(Control) == "drift");
        Assert.Equal("blocked", drift.Attribute(ActionKey));
        Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), drift.Attribute(Pid));
        Assert.Equal("/bin/drifted", drift.Attribute(ExecutablePath));
        Assert.Equal("microenforcer", drift.ResourceAttribute("service.name"));
        Assert.Equal(PodName, drift.ResourceAttribute("k8s.pod.name"));
        Assert.Equal(PodNamespace, drift.ResourceAttribute("k8s.namespace.name"));
        Assert.Equal("app", drift.ResourceAttribute("k8s.container.name"));
        Assert.NotEqual(0UL, drift.Log.TimeUnixNano);
        Assert.NotEqual(OpenTelemetry.Proto.Logs.V1.SeverityNumber.Unspecified, drift.Log.SeverityNumber);

        // Falco: every event passed the documented-field check (else it was answered 400).
        Assert.Empty(falco.Http.Malformed);
        foreach (JsonElement e in falco.Events)
            output.WriteLine("falco: " + e);
        JsonElement falcoDrift = Assert.Single(falco.Events, e => e.GetProperty("output").GetString()!.Contains("/bin/drifted", StringComparison.Ordinal));
        Assert.Equal("microenforcer", falcoDrift.GetProperty("source").GetString());
        Assert.Contains(falcoDrift.GetProperty("priority").GetString(), FalcoReceiver.Priorities);
        Assert.False(string.IsNullOrWhiteSpace(falcoDrift.GetProperty("rule").GetString()));

        // Syslog: rsyslog read an RFC 5424 message (protocol version 1, not its 3164 fallback),
        // local0, the app name, structured data, and the MSG is the stderr JSON line.
        foreach (string raw in syslog.RawMessages)
            output.WriteLine("syslog: " + raw);
        JsonElement message = Assert.Single(syslog.Messages, m => m.GetProperty("msg").GetString()!.Contains("/bin/drifted", StringComparison.Ordinal));
        Assert.Equal("1", message.GetProperty("protocol-version").GetString());
        Assert.Equal(16, int.Parse(message.GetProperty("pri").GetString()!, System.Globalization.CultureInfo.InvariantCulture) / 8);   // local0
        Assert.Equal("microenforcer", message.GetProperty("app-name").GetString());
        Assert.StartsWith("[", message.GetProperty("structured-data").GetString());
        string msg = message.GetProperty("msg").GetString()!.TrimStart('\uFEFF').Trim();
        Assert.Equal(line.GetRawText(), msg);
    }

    [Fact]
    public void AnOtlpSinkFromTheEnvironment_Delivers_AndStderrKeepsTheLine()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Up();

        // No spec.audit: the default [stderr], plus the sink the variable adds.
        var r = SinkRun.Run(output, DriftExec("fromenv"), policy: null,
            ("MICROENFORCER_AUDIT_OTLP_ENDPOINT", otlp.Endpoint), ("MICROENFORCER_POD_NAME", PodName));

        Assert.Contains("fromenv=126", r.Stdout);
        Assert.Single(r.Events("drift", "blocked"));
        Assert.Empty(otlp.Http.Malformed);
        OtlpRecord drift = Assert.Single(otlp.Records, e => e.Attribute(Control) == "drift");
        Assert.Equal("/bin/fromenv", drift.Attribute(ExecutablePath));
        Assert.Equal(PodName, drift.ResourceAttribute("k8s.pod.name"));
    }

    [Fact]
    public void ASyslogSinkFromTheEnvironment_Delivers()
    {
        using var syslog = RsyslogServer.Start();

        var r = SinkRun.Run(output, DriftExec("sysenv"), policy: null, ("MICROENFORCER_AUDIT_SYSLOG_ADDRESS", syslog.Address));

        Assert.Contains("sysenv=126", r.Stdout);
        JsonElement line = Assert.Single(r.Events("drift", "blocked"));
        JsonElement message = Assert.Single(syslog.Messages, m => m.GetProperty("msg").GetString()!.Contains("/bin/sysenv", StringComparison.Ordinal));
        Assert.Equal("1", message.GetProperty("protocol-version").GetString());
        Assert.Equal(line.GetRawText(), message.GetProperty("msg").GetString()!.TrimStart('\uFEFF').Trim());
    }

    [Fact]
    public void ASyslogSinkOverTls_DeliversToRsyslog_TrustingTheCaFile()
    {
        using var syslog = RsyslogServer.Start(tls: true);

        var r = SinkRun.Run(output, DriftExec("overtls"), Policy($"{StderrSink}\n{SyslogSink(syslog)}"), syslog.CaPem);

        Assert.Contains("overtls=126", r.Stdout);
        JsonElement line = Assert.Single(r.Events("drift", "blocked"));
        JsonElement message = Assert.Single(syslog.Messages, m => m.GetProperty("msg").GetString()!.Contains("/bin/overtls", StringComparison.Ordinal));
        Assert.Equal("1", message.GetProperty("protocol-version").GetString());
        Assert.Equal(line.GetRawText(), message.GetProperty("msg").GetString()!.TrimStart('\uFEFF').Trim());
    }

    // A container whose /dev has no urandom (a minimal runtime, or `make demo`'s): the enforcer
    // runs without one, and a network sink must not change that. Found by make demo-audit:
    // PID 1 died at start with TypeInitializationException <- CryptographicException in
    // Guid.NewGuid, reached from Polly's options validation (DataAnnotations -> TypeDescriptor's
    // static constructor) when the sink's pipeline was built.
    [Fact]
    public void ANetworkSink_DoesNotNeedDevUrandom()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Up();
        string wrapper = Path.Combine(Directory.CreateTempSubdirectory("sinktests-nourandom-").FullName, "no-urandom");
        File.WriteAllText(wrapper, "#!/bin/sh\nrm \"$ME_MERGED/dev/urandom\" || exit 70\nexec \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755

        var r = Container.Run(["/bin/sh", "-c", DriftExec("nourandom")], Policy($"{StderrSink}\n{OtlpSink(otlp)}"), hostNetwork: true,
            pid1Wrapper: wrapper, timeout: TimeSpan.FromSeconds(120));
        output.WriteLine(r.ToString());

        Assert.Contains("nourandom=126", r.Stdout);
        Assert.Single(r.Events("drift", "blocked"));
        Assert.Single(otlp.Records, e => e.Attribute(Control) == "drift");
    }
}
