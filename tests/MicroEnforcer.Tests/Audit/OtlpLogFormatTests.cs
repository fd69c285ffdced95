using System.IO.Compression;
using MicroEnforcer.Audit;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

/// <summary>
/// The OTLP body is read back with the parser generated from the official protos, as a collector
/// reads it: one resource, one scope, one record per event, the attributes docs/audit-sinks.md lists.
/// </summary>
public sealed class OtlpLogFormatTests
{
    private static readonly AuditResource Pod = AuditResource.FromEnvironment(
        name => name switch
        {
            "MICROENFORCER_POD_NAME" => "web-7d4b9",
            "MICROENFORCER_POD_NAMESPACE" => "shop",
            "MICROENFORCER_CONTAINER_NAME" => "nginx",
            "MICROENFORCER_IMAGE" => "registry.example:5000/team/nginx:1.27@sha256:abcd",
            _ => null,
        },
        "web-7d4b9", "0.1.0+abc");

    private static readonly DateTimeOffset Observed = AuditEventSamples.Time.AddSeconds(1);

    [Fact]
    public void TheBytesParseBackAsOneResourceOneScopeAndOneRecordPerEvent()
    {
        var events = AuditEventSamples.All().Select(s => AuditSchema.ToProto(s.Event)).ToList();

        ExportLogsServiceRequest request = ExportLogsServiceRequest.Parser.ParseFrom(OtlpLogFormat.Serialize(Pod, events, Observed));

        ResourceLogs logs = Assert.Single(request.ResourceLogs);
        ScopeLogs scope = Assert.Single(logs.ScopeLogs);
        Assert.Equal("microenforcer", scope.Scope.Name);
        Assert.Equal("0.1.0+abc", scope.Scope.Version);
        Assert.Equal(events.Count, scope.LogRecords.Count);
        Assert.All(scope.LogRecords, r => Assert.Equal("microenforcer.audit", r.EventName));
    }

    [Fact]
    public void TheResourceNamesTheServiceHostPodAndImage()
    {
        ExportLogsServiceRequest request = ExportLogsServiceRequest.Parser.ParseFrom(
            OtlpLogFormat.Serialize(Pod, [AuditSchema.ToProto(AuditEventSamples.Drift())], Observed));

        Dictionary<string, AnyValue> resource = request.ResourceLogs[0].Resource.Attributes.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal(
            ["service.name", "service.version", "host.name", "k8s.pod.name", "k8s.namespace.name", "k8s.container.name",
             "container.image.name", "container.image.tags", "container.image.repo_digests"],
            resource.Keys);
        Assert.Equal("microenforcer", resource["service.name"].StringValue);
        Assert.Equal("0.1.0+abc", resource["service.version"].StringValue);
        Assert.Equal("web-7d4b9", resource["host.name"].StringValue);
        Assert.Equal("web-7d4b9", resource["k8s.pod.name"].StringValue);
        Assert.Equal("shop", resource["k8s.namespace.name"].StringValue);
        Assert.Equal("nginx", resource["k8s.container.name"].StringValue);
        Assert.Equal("registry.example:5000/team/nginx", resource["container.image.name"].StringValue);
        Assert.Equal(["1.27"], resource["container.image.tags"].ArrayValue.Values.Select(v => v.StringValue));
        Assert.Equal(["registry.example:5000/team/nginx@sha256:abcd"], resource["container.image.repo_digests"].ArrayValue.Values.Select(v => v.StringValue));
    }

    [Fact]
    public void ARecordCarriesTheEventsTimeSeverityBodyAndAttributes()
    {
        LogRecord record = RoundTrip(AuditEventSamples.Drift());

        Assert.Equal(1795314376UL * 1_000_000_000UL, record.TimeUnixNano);
        Assert.Equal(1795314377UL * 1_000_000_000UL, record.ObservedTimeUnixNano);
        Assert.Equal(SeverityNumber.Warn, record.SeverityNumber);
        Assert.Equal("WARN", record.SeverityText);
        Assert.Equal("drift blocked execve /bin/list (as list) by pid 13 (list -l): not in the image baseline", record.Body.StringValue);
        Assert.Equal(
            new Dictionary<string, object>
            {
                ["microenforcer.schema_version"] = 1L,
                ["microenforcer.control"] = "drift",
                ["microenforcer.action"] = "blocked",
                ["microenforcer.mode"] = "enforce",
                ["microenforcer.reason"] = "not in the image baseline",
                ["microenforcer.syscall"] = "execve",
                ["process.pid"] = 13L,
                ["process.parent_pid"] = 9L,
                ["process.user.id"] = 0L,
                ["process.executable.path"] = "/bin/list",
                ["microenforcer.requested_path"] = "list",
                ["process.command_line"] = "list -l",
            },
            Attributes(record));
    }

    [Fact]
    public void TimeKeepsTheSubSecondTicks()
    {
        LogRecord record = RoundTrip(AuditEventSamples.Hostile());

        Assert.Equal(1795314376_123456700UL, record.TimeUnixNano);
        Assert.Equal(SeverityNumber.Error, record.SeverityNumber);   // killed
        Assert.DoesNotContain('\n', record.Body.StringValue);
        Assert.Contains(@"/tmp/x\x0a{""source"":""forged""}\xffé", record.Body.StringValue, StringComparison.Ordinal);
        Dictionary<string, object> attributes = Attributes(record);
        Assert.False(attributes.ContainsKey("process.parent_pid"));
        Assert.False(attributes.ContainsKey("process.user.id"));
        Assert.False(attributes.ContainsKey("process.command_line"));
    }

    [Fact]
    public void EndpointsBecomeSemconvNetworkAttributes()
    {
        Dictionary<string, object> a = Attributes(RoundTrip(AuditEventSamples.Network()));

        Assert.Equal("10.0.0.1", a["network.peer.address"]);
        Assert.Equal(25L, a["network.peer.port"]);
        Assert.Equal("0.0.0.0", a["network.local.address"]);
        Assert.Equal(0L, a["network.local.port"]);
        Assert.Equal("tcp", a["network.transport"]);
        Assert.Equal("mail.example.com", a["dns.question.name"]);
        Assert.Equal(3L, a["microenforcer.count"]);
        Assert.Equal(SeverityNumber.Warn, RoundTrip(AuditEventSamples.Network()).SeverityNumber);
    }

    [Fact]
    public void NestedFactsAreFlattenedWithDottedNames()
    {
        Dictionary<string, object> file = Attributes(RoundTrip(AuditEventSamples.File()));
        Assert.Equal("rename", file["microenforcer.file.operation"]);
        Assert.Equal("/etc/passwd", file["microenforcer.file.path"]);
        Assert.Equal(@"/etc/passwd\x80.new", file["microenforcer.file.new_path"]);
        Assert.Equal("absent", file["microenforcer.file.before_note"]);
        Assert.Equal("ab12", file["microenforcer.file.sha256_after"]);
        Assert.Equal(true, file["microenforcer.file.change_seen"]);
        Assert.False(file.ContainsKey("microenforcer.file.sha256_before"));

        Dictionary<string, object> scan = Attributes(RoundTrip(AuditEventSamples.Scan()));
        Assert.Equal(25L, scan["microenforcer.targets.count"]);
        Assert.Equal(new[] { "10.0.0.1:22", "[fe80::1]:80" }, scan["microenforcer.targets.sample"]);
        Assert.Equal(20L, scan["microenforcer.targets.failures"]);

        Dictionary<string, object> exit = Attributes(RoundTrip(AuditEventSamples.ProcessExit()));
        Assert.Equal("process-exit", exit["microenforcer.forensics.event"]);
        Assert.Equal(9L, exit["microenforcer.forensics.signal"]);
        Assert.Equal(1000L, exit["microenforcer.forensics.lifetime_ms"]);
        Assert.Equal(SeverityNumber.Info, RoundTrip(AuditEventSamples.ProcessExit()).SeverityNumber);

        Dictionary<string, object> connections = Attributes(RoundTrip(AuditEventSamples.Connections()));
        Assert.Equal(new[] { "10.0.0.2", "10.0.0.3" }, connections["microenforcer.forensics.remotes"]);
        Assert.Equal(2L, connections["microenforcer.forensics.distinct_remotes"]);
    }

    [Fact]
    public void TheEnforcersOwnEventsCarryTheirFactsAndNoExecutable()
    {
        LogRecord rejected = RoundTrip(AuditEventSamples.RejectedReload());
        Dictionary<string, object> reload = Attributes(rejected);
        Assert.Equal(SeverityNumber.Warn, rejected.SeverityNumber);
        Assert.Equal("rejected", reload["microenforcer.reload.result"]);
        Assert.Equal("aa", reload["microenforcer.reload.old_hash"]);
        Assert.False(reload.ContainsKey("microenforcer.reload.new_hash"));
        Assert.Equal(new[] { "line 3: unknown field \"mdoe\"", "line 9: maxProcesses must be 1..100000" }, reload["microenforcer.reload.errors"]);
        Assert.Equal(Array.Empty<string>(), reload["microenforcer.reload.applied"]);
        Assert.False(reload.ContainsKey("process.executable.path"));
        Assert.Equal("/etc/microenforcer/policy.yaml", reload["microenforcer.path"]);
        Assert.Equal("policyReload observed: policy rejected: 2 errors; the policy in force is unchanged", rejected.Body.StringValue);

        Assert.Equal(SeverityNumber.Info, RoundTrip(AuditEventSamples.Reload()).SeverityNumber);

        LogRecord dropped = RoundTrip(AuditEventSamples.Dropped());
        Assert.Equal(SeverityNumber.Warn, dropped.SeverityNumber);
        Assert.Equal("otlp", Attributes(dropped)["microenforcer.dropped.sink"]);
        Assert.Equal(1234L, Attributes(dropped)["microenforcer.dropped.count"]);
    }

    [Fact]
    public void GzipIsReadBackByAStandardDecompressor()
    {
        byte[] body = OtlpLogFormat.Serialize(Pod, AuditEventSamples.All().Select(s => AuditSchema.ToProto(s.Event)), Observed);

        using var decompressed = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(OtlpLogFormat.Gzip(body)), CompressionMode.Decompress))
            gzip.CopyTo(decompressed);

        Assert.Equal(body, decompressed.ToArray());
    }

    private static LogRecord RoundTrip(AuditEvent e) =>
        ExportLogsServiceRequest.Parser.ParseFrom(OtlpLogFormat.Serialize(Pod, [AuditSchema.ToProto(e)], Observed))
            .ResourceLogs[0].ScopeLogs[0].LogRecords[0];

    private static Dictionary<string, object> Attributes(LogRecord record) =>
        record.Attributes.ToDictionary(a => a.Key, a => Value(a.Value));

    private static object Value(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(v => v.StringValue).ToArray(),
        _ => throw new InvalidOperationException($"unexpected attribute type {value.ValueCase}"),
    };
}
