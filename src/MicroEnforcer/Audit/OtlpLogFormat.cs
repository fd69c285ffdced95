using System.IO.Compression;
using Google.Protobuf;
using MicroEnforcer.Audit.Schema.V1;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// Audit events as OpenTelemetry logs (OTLP/HTTP's body for POST /v1/logs): one ResourceLogs
/// (<see cref="AuditResource"/>), one ScopeLogs (scope "microenforcer" and the binary's version),
/// one LogRecord per event. A record's time is the event's; its observed time is the caller's
/// (when the sink took it); severity from <see cref="EventSeverity"/> (observed INFO, blocked and
/// detected WARN, killed ERROR; a rejected reload and a sink's drops WARN); body the one-line
/// summary; event_name "microenforcer.audit"; attributes the event's fields, named by the
/// OpenTelemetry semantic conventions where one fits (process.pid, network.peer.address...) and
/// microenforcer.* otherwise, nested facts flattened (microenforcer.file.operation).
/// docs/audit-sinks.md has the table.
/// </summary>
internal static class OtlpLogFormat
{
    public const string ScopeName = "microenforcer";
    public const string EventName = "microenforcer.audit";

    public static ExportLogsServiceRequest Request(AuditResource resource, IEnumerable<Event> events, DateTimeOffset observed)
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = ScopeName, Version = resource.ServiceVersion } };
        ulong observedNanos = UnixNanos(observed);
        foreach (Event e in events)
            scope.LogRecords.Add(Record(e, observedNanos));
        var logs = new ResourceLogs { Resource = Resource(resource) };
        logs.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(logs);
        return request;
    }

    /// <summary>The request's protobuf bytes (Content-Type: application/x-protobuf).</summary>
    public static byte[] Serialize(AuditResource resource, IEnumerable<Event> events, DateTimeOffset observed) =>
        Request(resource, events, observed).ToByteArray();

    /// <summary>gzip of a body (Content-Encoding: gzip), which OTLP/HTTP receivers must accept.</summary>
    public static byte[] Gzip(ReadOnlySpan<byte> body)
    {
        using var compressed = new MemoryStream(body.Length / 4 + 64);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(body);
        return compressed.ToArray();
    }

    public static Resource Resource(AuditResource resource)
    {
        var proto = new Resource();
        foreach ((string key, object value) in resource.Attributes())
            proto.Attributes.Add(value is string[] values ? Attribute(key, values) : Attribute(key, (string)value));
        return proto;
    }

    public static LogRecord Record(Event e, ulong observedUnixNanos)
    {
        AuditSeverity severity = EventSeverity.Of(e);
        var record = new LogRecord
        {
            TimeUnixNano = e.Time is null ? 0 : UnixNanos(e.Time),
            ObservedTimeUnixNano = observedUnixNanos,
            SeverityNumber = severity switch
            {
                AuditSeverity.Error => SeverityNumber.Error,
                AuditSeverity.Warning => SeverityNumber.Warn,
                _ => SeverityNumber.Info,
            },
            SeverityText = severity switch
            {
                AuditSeverity.Error => "ERROR",
                AuditSeverity.Warning => "WARN",
                _ => "INFO",
            },
            Body = new AnyValue { StringValue = AuditSummary.Line(e) },
            EventName = EventName,
        };
        AddAttributes(record.Attributes, e);
        return record;
    }

    private static void AddAttributes(Google.Protobuf.Collections.RepeatedField<KeyValue> a, Event e)
    {
        a.Add(Attribute("microenforcer.schema_version", e.SchemaVersion));
        a.Add(Attribute("microenforcer.control", e.Control));
        a.Add(Attribute("microenforcer.action", AuditSchema.ActionName(e.Action)));
        a.Add(Attribute("microenforcer.mode", e.Mode));
        a.Add(Attribute("microenforcer.reason", e.Reason));
        a.Add(Attribute("microenforcer.syscall", e.Syscall));
        a.Add(Attribute("process.pid", e.Pid));
        if (e.HasPpid)
            a.Add(Attribute("process.parent_pid", e.Ppid));
        // The effective uid (ProcStatus reads the second Uid field): semconv's process.user.id.
        if (e.HasUid)
            a.Add(Attribute("process.user.id", e.Uid));
        // A reload's or a sink's event is no process's: its path is not an executable.
        a.Add(Attribute(AuditSchema.IsAboutAProcess(e) ? "process.executable.path" : "microenforcer.path", e.Path));
        if (e.HasRequestedPath)
            a.Add(Attribute("microenforcer.requested_path", e.RequestedPath));
        if (e.HasCmdline)
            a.Add(Attribute("process.command_line", e.Cmdline));
        if (e.HasCount)
            a.Add(Attribute("microenforcer.count", e.Count));
        if (e.HasRemote)
            AddEndpoint(a, "network.peer", e.Remote);
        if (e.HasLocal)
            AddEndpoint(a, "network.local", e.Local);
        if (e.HasProtocol)
            a.Add(Attribute("network.transport", e.Protocol));
        if (e.HasDomain)
            a.Add(Attribute("dns.question.name", e.Domain));
        if (e.File is { } file)
            AddFile(a, file);
        if (e.Targets is { } targets)
        {
            a.Add(Attribute("microenforcer.targets.count", targets.Count));
            a.Add(Attribute("microenforcer.targets.sample", targets.Sample));
            a.Add(Attribute("microenforcer.targets.failures", targets.Failures));
        }
        if (e.Forensics is { } forensics)
            AddForensics(a, forensics);
        if (e.Reload is { } reload)
        {
            a.Add(Attribute("microenforcer.reload.path", reload.Path));
            a.Add(Attribute("microenforcer.reload.result", reload.Result));
            if (reload.HasOldHash)
                a.Add(Attribute("microenforcer.reload.old_hash", reload.OldHash));
            if (reload.HasNewHash)
                a.Add(Attribute("microenforcer.reload.new_hash", reload.NewHash));
            a.Add(Attribute("microenforcer.reload.applied", reload.Applied));
            a.Add(Attribute("microenforcer.reload.pending", reload.Pending));
            a.Add(Attribute("microenforcer.reload.errors", reload.Errors));
        }
        if (e.Dropped is { } dropped)
        {
            a.Add(Attribute("microenforcer.dropped.sink", dropped.Sink));
            a.Add(Attribute("microenforcer.dropped.count", dropped.Count));
        }
    }

    private static void AddFile(Google.Protobuf.Collections.RepeatedField<KeyValue> a, Event.Types.FileChange file)
    {
        a.Add(Attribute("microenforcer.file.operation", file.Operation));
        a.Add(Attribute("microenforcer.file.path", file.Path));
        if (file.HasNewPath)
            a.Add(Attribute("microenforcer.file.new_path", file.NewPath));
        if (file.HasLinkTarget)
            a.Add(Attribute("microenforcer.file.link_target", file.LinkTarget));
        if (file.HasSha256Before)
            a.Add(Attribute("microenforcer.file.sha256_before", file.Sha256Before));
        if (file.HasBeforeNote)
            a.Add(Attribute("microenforcer.file.before_note", file.BeforeNote));
        if (file.HasSha256After)
            a.Add(Attribute("microenforcer.file.sha256_after", file.Sha256After));
        if (file.HasAfterNote)
            a.Add(Attribute("microenforcer.file.after_note", file.AfterNote));
        a.Add(new KeyValue { Key = "microenforcer.file.change_seen", Value = new AnyValue { BoolValue = file.ChangeSeen } });
    }

    private static void AddForensics(Google.Protobuf.Collections.RepeatedField<KeyValue> a, Event.Types.Forensics facts)
    {
        a.Add(Attribute("microenforcer.forensics.event", facts.Event));
        if (facts.HasCwd)
            a.Add(Attribute("microenforcer.forensics.cwd", facts.Cwd));
        if (facts.HasExit)
            a.Add(Attribute("microenforcer.forensics.exit", facts.Exit));
        if (facts.HasExitCode)
            a.Add(Attribute("microenforcer.forensics.exit_code", facts.ExitCode));
        if (facts.HasSignal)
            a.Add(Attribute("microenforcer.forensics.signal", facts.Signal));
        if (facts.HasLifetimeMs)
            a.Add(Attribute("microenforcer.forensics.lifetime_ms", facts.LifetimeMs));
        if (facts.HasResult)
            a.Add(Attribute("microenforcer.forensics.result", facts.Result));
        if (facts.HasIntervalMs)
            a.Add(Attribute("microenforcer.forensics.interval_ms", facts.IntervalMs));
        if (facts.Remotes is { } remotes)
            a.Add(Attribute("microenforcer.forensics.remotes", remotes.Addresses));
        if (facts.HasDistinctRemotes)
            a.Add(Attribute("microenforcer.forensics.distinct_remotes", facts.DistinctRemotes));
    }

    /// <summary>"address:port" ("[v6]:port") as semconv's &lt;prefix&gt;.address and &lt;prefix&gt;.port; anything else as the address alone.</summary>
    private static void AddEndpoint(Google.Protobuf.Collections.RepeatedField<KeyValue> a, string prefix, string endpoint)
    {
        if (Endpoint.TrySplit(endpoint, out string address, out int port))
        {
            a.Add(Attribute(prefix + ".address", address));
            a.Add(Attribute(prefix + ".port", port));
        }
        else
        {
            a.Add(Attribute(prefix + ".address", endpoint));
        }
    }

    private static ulong UnixNanos(Google.Protobuf.WellKnownTypes.Timestamp time) =>
        (ulong)time.Seconds * 1_000_000_000UL + (ulong)time.Nanos;

    private static ulong UnixNanos(DateTimeOffset time) =>
        (ulong)(time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100UL;

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Attribute(string key, IEnumerable<string> values)
    {
        var array = new ArrayValue();
        foreach (string value in values)
            array.Values.Add(new AnyValue { StringValue = value });
        return new KeyValue { Key = key, Value = new AnyValue { ArrayValue = array } };
    }
}
