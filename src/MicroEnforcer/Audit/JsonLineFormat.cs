using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Collections;
using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit;

/// <summary>
/// The audit JSON line (stderr's format, and the message of the other text formats): one object,
/// no newline inside. The field names and their order are a stable format: source, time, control,
/// action, mode, pid, ppid, uid, path, requestedPath, cmdline, reason, syscall (ppid, uid,
/// requestedPath and cmdline are null when unknown), and, where they apply, count (aggregated
/// events), remote, local, protocol, domain (network findings), file (file changes: operation,
/// path, newPath, linkTarget, sha256Before, beforeNote, sha256After, afterNote, changeSeen),
/// targets (port scans: count, sample, failures), forensics (Forensics: event, cwd, exit,
/// exitCode, signal, lifetimeMs, result, intervalMs, remotes, distinctRemotes), reload (policy
/// reloads: path, result, oldHash, newHash, applied, pending, errors) and dropped (an audit sink's
/// drops: sink, count). Written by hand with Utf8JsonWriter rather than protobuf's JsonFormatter:
/// the line predates the schema (its names, nulls and time format are not proto3's JSON mapping),
/// and the formatter reflects over descriptors, which Native AOT would have to keep whole.
/// </summary>
internal static class JsonLineFormat
{
    public static ReadOnlyMemory<byte> Serialize(Event e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(e, buffer);
        return buffer.WrittenMemory;
    }

    public static void Write(Event e, IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("source", "microenforcer");
        json.WriteString("time", Time(e));
        json.WriteString("control", e.Control);
        json.WriteString("action", AuditSchema.ActionName(e.Action));
        json.WriteString("mode", e.Mode);
        json.WriteNumber("pid", e.Pid);
        if (e.HasPpid)
            json.WriteNumber("ppid", e.Ppid);
        else
            json.WriteNull("ppid");
        if (e.HasUid)
            json.WriteNumber("uid", e.Uid);
        else
            json.WriteNull("uid");
        json.WriteString("path", e.Path);
        json.WriteString("requestedPath", e.HasRequestedPath ? e.RequestedPath : null);
        json.WriteString("cmdline", e.HasCmdline ? e.Cmdline : null);
        json.WriteString("reason", e.Reason);
        json.WriteString("syscall", e.Syscall);
        if (e.HasCount)
            json.WriteNumber("count", e.Count);
        if (e.HasRemote)
            json.WriteString("remote", e.Remote);
        if (e.HasLocal)
            json.WriteString("local", e.Local);
        if (e.HasProtocol)
            json.WriteString("protocol", e.Protocol);
        if (e.HasDomain)
            json.WriteString("domain", e.Domain);
        if (e.File is { } file)
            WriteFile(json, file);
        if (e.Targets is { } targets)
            WriteTargets(json, targets);
        if (e.Forensics is { } forensics)
            WriteForensics(json, forensics);
        if (e.Reload is { } reload)
            WriteReload(json, reload);
        if (e.Dropped is { } dropped)
            WriteDropped(json, dropped);
        json.WriteEndObject();
    }

    /// <summary>UTC with 7 fractional digits (the 100 ns a DateTime holds), e.g. 2026-11-22T02:26:16.0000000Z.</summary>
    public static string Time(Event e) =>
        (e.Time?.ToDateTime() ?? DateTime.UnixEpoch).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static void WriteFile(Utf8JsonWriter json, Event.Types.FileChange file)
    {
        json.WriteStartObject("file");
        json.WriteString("operation", file.Operation);
        json.WriteString("path", file.Path);
        if (file.HasNewPath)
            json.WriteString("newPath", file.NewPath);
        if (file.HasLinkTarget)
            json.WriteString("linkTarget", file.LinkTarget);
        json.WriteString("sha256Before", file.HasSha256Before ? file.Sha256Before : null);
        if (file.HasBeforeNote)
            json.WriteString("beforeNote", file.BeforeNote);
        json.WriteString("sha256After", file.HasSha256After ? file.Sha256After : null);
        if (file.HasAfterNote)
            json.WriteString("afterNote", file.AfterNote);
        json.WriteBoolean("changeSeen", file.ChangeSeen);
        json.WriteEndObject();
    }

    private static void WriteTargets(Utf8JsonWriter json, Event.Types.ScanTargets targets)
    {
        json.WriteStartObject("targets");
        json.WriteNumber("count", targets.Count);
        WriteStrings(json, "sample", targets.Sample);
        json.WriteNumber("failures", targets.Failures);
        json.WriteEndObject();
    }

    private static void WriteForensics(Utf8JsonWriter json, Event.Types.Forensics facts)
    {
        json.WriteStartObject("forensics");
        json.WriteString("event", facts.Event);
        if (facts.HasCwd)
            json.WriteString("cwd", facts.Cwd);
        if (facts.HasExit)
            json.WriteString("exit", facts.Exit);
        if (facts.HasExitCode)
            json.WriteNumber("exitCode", facts.ExitCode);
        if (facts.HasSignal)
            json.WriteNumber("signal", facts.Signal);
        if (facts.HasLifetimeMs)
            json.WriteNumber("lifetimeMs", facts.LifetimeMs);
        if (facts.HasResult)
            json.WriteString("result", facts.Result);
        if (facts.HasIntervalMs)
            json.WriteNumber("intervalMs", facts.IntervalMs);
        if (facts.Remotes is { } remotes)
            WriteStrings(json, "remotes", remotes.Addresses);
        if (facts.HasDistinctRemotes)
            json.WriteNumber("distinctRemotes", facts.DistinctRemotes);
        json.WriteEndObject();
    }

    private static void WriteReload(Utf8JsonWriter json, Event.Types.PolicyReload reload)
    {
        json.WriteStartObject("reload");
        json.WriteString("path", reload.Path);
        json.WriteString("result", reload.Result);
        json.WriteString("oldHash", reload.HasOldHash ? reload.OldHash : null);
        json.WriteString("newHash", reload.HasNewHash ? reload.NewHash : null);
        WriteStrings(json, "applied", reload.Applied);
        WriteStrings(json, "pending", reload.Pending);
        WriteStrings(json, "errors", reload.Errors);
        json.WriteEndObject();
    }

    private static void WriteDropped(Utf8JsonWriter json, Event.Types.SinkDrop dropped)
    {
        json.WriteStartObject("dropped");
        json.WriteString("sink", dropped.Sink);
        json.WriteNumber("count", dropped.Count);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, RepeatedField<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
