using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Collections;
using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// An audit event as Falco writes an alert in JSON (json_output), which falcosidekick takes on
/// <c>POST /</c>: exactly output, priority, rule, time, output_fields, source, tags, hostname.
/// rule and priority come from the control's <see cref="FalcoRule"/>; time is RFC 3339 UTC with
/// nanoseconds; source "microenforcer"; output "HH:mm:ss.nnnnnnnnn: Priority summary", as Falco's
/// outputs begin with %evt.time. output_fields use Falco's field names where one means the same
/// (proc.pid, proc.ppid, user.uid, proc.exepath, proc.name, proc.cmdline, evt.type, fd.name,
/// fd.rip, fd.rport, fd.lip, fd.lport, fd.l4proto, fd.rip.name, k8s.pod.name, k8s.ns.name,
/// container.name, container.image.repository, container.image.tag) and microenforcer.* for the
/// rest, nested facts dotted as in OTLP. The process and container fields are always present, null
/// when unknown, as Falco writes a field it could not read.
/// </summary>
internal static class FalcoFormat
{
    public const string Source = "microenforcer";

    public static byte[] Serialize(Event e, AuditResource resource)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        Write(e, resource, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Event e, AuditResource resource, IBufferWriter<byte> output)
    {
        FalcoRule rule = FalcoRule.For(e.Control);
        FalcoPriority priority = rule.Priority(e);
        DateTime time = (e.Time ?? new Google.Protobuf.WellKnownTypes.Timestamp()).ToDateTime();
        string nanos = (e.Time?.Nanos ?? 0).ToString("D9", CultureInfo.InvariantCulture);

        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("output", $"{time.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}.{nanos}: {priority} {AuditSummary.Line(e)}");
        json.WriteString("priority", priority.ToString());
        json.WriteString("rule", rule.Name);
        json.WriteString("time", $"{time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)}.{nanos}Z");
        json.WriteStartObject("output_fields");
        WriteOutputFields(json, e, resource);
        json.WriteEndObject();
        json.WriteString("source", Source);
        json.WriteStartArray("tags");
        json.WriteStringValue("microenforcer");
        foreach (string tag in rule.Tags)
        {
            if (tag != "microenforcer")
                json.WriteStringValue(tag);
        }
        json.WriteEndArray();
        json.WriteString("hostname", resource.HostName ?? "");
        json.WriteEndObject();
    }

    private static void WriteOutputFields(Utf8JsonWriter json, Event e, AuditResource resource)
    {
        json.WriteString("microenforcer.control", e.Control);
        json.WriteString("microenforcer.action", AuditSchema.ActionName(e.Action));
        json.WriteString("microenforcer.mode", e.Mode);
        json.WriteString("microenforcer.reason", e.Reason);
        json.WriteNumber("microenforcer.schema_version", e.SchemaVersion);
        json.WriteString("evt.type", e.Syscall);
        json.WriteNumber("proc.pid", e.Pid);
        if (e.HasPpid)
            json.WriteNumber("proc.ppid", e.Ppid);
        else
            json.WriteNull("proc.ppid");
        if (e.HasUid)
            json.WriteNumber("user.uid", e.Uid);
        else
            json.WriteNull("user.uid");
        if (AuditSchema.IsAboutAProcess(e))
        {
            json.WriteString("proc.exepath", e.Path);
            json.WriteString("proc.name", e.Path[(e.Path.LastIndexOf('/') + 1)..]);
        }
        else
        {
            // A reload's or a sink's event is PID 1's, and its path is a file, not an executable.
            json.WriteString("microenforcer.path", e.Path);
        }
        json.WriteString("proc.cmdline", e.HasCmdline ? e.Cmdline : null);
        json.WriteString("k8s.pod.name", resource.PodName);
        json.WriteString("k8s.ns.name", resource.Namespace);
        json.WriteString("container.name", resource.ContainerName);
        json.WriteString("container.image.repository", resource.ImageRepository);
        json.WriteString("container.image.tag", resource.ImageTag);

        // fd.name is the file a call acts on; an exec's requested path is no file descriptor's.
        if (e.File is { } file)
            json.WriteString("fd.name", file.Path);
        else if (e.HasRequestedPath && !e.Syscall.StartsWith("exec", StringComparison.Ordinal))
            json.WriteString("fd.name", e.RequestedPath);
        if (e.HasRequestedPath)
            json.WriteString("microenforcer.requested_path", e.RequestedPath);
        if (e.HasCount)
            json.WriteNumber("microenforcer.count", e.Count);
        if (e.HasRemote)
            WriteEndpoint(json, "fd.rip", "fd.rport", e.Remote);
        if (e.HasLocal)
            WriteEndpoint(json, "fd.lip", "fd.lport", e.Local);
        if (e.HasProtocol)
            json.WriteString("fd.l4proto", e.Protocol);
        if (e.HasDomain)
            json.WriteString("fd.rip.name", e.Domain);
        if (e.File is { } change)
            WriteFile(json, change);
        if (e.Targets is { } targets)
        {
            json.WriteNumber("microenforcer.targets.count", targets.Count);
            WriteStrings(json, "microenforcer.targets.sample", targets.Sample);
            json.WriteNumber("microenforcer.targets.failures", targets.Failures);
        }
        if (e.Forensics is { } forensics)
            WriteForensics(json, forensics);
        if (e.Reload is { } reload)
        {
            json.WriteString("microenforcer.reload.path", reload.Path);
            json.WriteString("microenforcer.reload.result", reload.Result);
            json.WriteString("microenforcer.reload.old_hash", reload.HasOldHash ? reload.OldHash : null);
            json.WriteString("microenforcer.reload.new_hash", reload.HasNewHash ? reload.NewHash : null);
            WriteStrings(json, "microenforcer.reload.applied", reload.Applied);
            WriteStrings(json, "microenforcer.reload.pending", reload.Pending);
            WriteStrings(json, "microenforcer.reload.errors", reload.Errors);
        }
        if (e.Dropped is { } dropped)
        {
            json.WriteString("microenforcer.dropped.sink", dropped.Sink);
            json.WriteNumber("microenforcer.dropped.count", dropped.Count);
        }
    }

    private static void WriteFile(Utf8JsonWriter json, Event.Types.FileChange file)
    {
        json.WriteString("microenforcer.file.operation", file.Operation);
        json.WriteString("microenforcer.file.path", file.Path);
        if (file.HasNewPath)
            json.WriteString("microenforcer.file.new_path", file.NewPath);
        if (file.HasLinkTarget)
            json.WriteString("microenforcer.file.link_target", file.LinkTarget);
        json.WriteString("microenforcer.file.sha256_before", file.HasSha256Before ? file.Sha256Before : null);
        if (file.HasBeforeNote)
            json.WriteString("microenforcer.file.before_note", file.BeforeNote);
        json.WriteString("microenforcer.file.sha256_after", file.HasSha256After ? file.Sha256After : null);
        if (file.HasAfterNote)
            json.WriteString("microenforcer.file.after_note", file.AfterNote);
        json.WriteBoolean("microenforcer.file.change_seen", file.ChangeSeen);
    }

    private static void WriteForensics(Utf8JsonWriter json, Event.Types.Forensics facts)
    {
        json.WriteString("microenforcer.forensics.event", facts.Event);
        if (facts.HasCwd)
            json.WriteString("microenforcer.forensics.cwd", facts.Cwd);
        if (facts.HasExit)
            json.WriteString("microenforcer.forensics.exit", facts.Exit);
        if (facts.HasExitCode)
            json.WriteNumber("microenforcer.forensics.exit_code", facts.ExitCode);
        if (facts.HasSignal)
            json.WriteNumber("microenforcer.forensics.signal", facts.Signal);
        if (facts.HasLifetimeMs)
            json.WriteNumber("microenforcer.forensics.lifetime_ms", facts.LifetimeMs);
        if (facts.HasResult)
            json.WriteString("microenforcer.forensics.result", facts.Result);
        if (facts.HasIntervalMs)
            json.WriteNumber("microenforcer.forensics.interval_ms", facts.IntervalMs);
        if (facts.Remotes is { } remotes)
            WriteStrings(json, "microenforcer.forensics.remotes", remotes.Addresses);
        if (facts.HasDistinctRemotes)
            json.WriteNumber("microenforcer.forensics.distinct_remotes", facts.DistinctRemotes);
    }

    private static void WriteEndpoint(Utf8JsonWriter json, string addressField, string portField, string endpoint)
    {
        if (Endpoint.TrySplit(endpoint, out string address, out int port))
        {
            json.WriteString(addressField, address);
            json.WriteNumber(portField, port);
        }
        else
        {
            json.WriteString(addressField, endpoint);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, RepeatedField<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
