using System.Buffers;
using System.Text.Json;
using MicroEnforcer.Interop;
using MicroEnforcer.Logging;

namespace MicroEnforcer.Audit;

/// <summary>
/// Writes audit events as one JSON object per line on stderr, where container runtimes collect
/// them (`podman logs`, CloudWatch, a node's log agent). The field names are a stable format:
/// source, time, control, action, mode, pid, ppid, uid, path, requestedPath, cmdline, reason, syscall,
/// and, where they apply, count (aggregated events), remote, local, protocol, domain (network findings), forensics (Forensics:
/// event, cwd, exit, exitCode, signal, lifetimeMs, result, intervalMs, remotes, distinctRemotes) and file (file
/// changes: operation, path, newPath, linkTarget, sha256Before, beforeNote, sha256After, afterNote, changeSeen).
/// </summary>
internal sealed class AuditLog
{
    private readonly Action<ReadOnlyMemory<byte>> _sink;

    public AuditLog() : this(line => StandardError.WriteLine(line.Span))
    {
    }

    public AuditLog(Action<ReadOnlyMemory<byte>> sink) => _sink = sink;

    public void Write(AuditEvent e) => _sink(Serialize(e));

    public static ReadOnlyMemory<byte> Serialize(AuditEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("source", "microenforcer");
            json.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("control", e.Control);
            json.WriteString("action", ActionName(e.Action));
            json.WriteString("mode", e.Mode);
            json.WriteNumber("pid", e.Pid);
            WriteNumberOrNull(json, "ppid", e.PPid);
            WriteNumberOrNull(json, "uid", e.Uid);
            // Paths are bytes; escaped ones (PathText) are shown as \xNN, never as invalid text.
            json.WriteString("path", PathText.Display(e.Path));
            json.WriteString("requestedPath", e.RequestedPath is null ? null : PathText.Display(e.RequestedPath));
            json.WriteString("cmdline", e.Cmdline is null ? null : PathText.Display(e.Cmdline));
            json.WriteString("reason", e.Reason);
            json.WriteString("syscall", e.Syscall);
            if (e.Count is int count)
                json.WriteNumber("count", count);
            if (e.Remote is not null)
                json.WriteString("remote", e.Remote);
            if (e.Local is not null)
                json.WriteString("local", e.Local);
            if (e.Protocol is not null)
                json.WriteString("protocol", e.Protocol);
            if (e.Domain is not null)
                json.WriteString("domain", e.Domain);
            if (e.File is { } file)
                WriteFile(json, file);
            if (e.Targets is { } targets)
                WriteTargets(json, targets);
            if (e.Forensics is { } forensics)
                WriteForensics(json, forensics);
            if (e.Reload is { } reload)
                WriteReload(json, reload);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static void WriteFile(Utf8JsonWriter json, FileChange file)
    {
        json.WriteStartObject("file");
        json.WriteString("operation", file.Operation);
        json.WriteString("path", PathText.Display(file.Path));
        if (file.NewPath is not null)
            json.WriteString("newPath", PathText.Display(file.NewPath));
        if (file.LinkTarget is not null)
            json.WriteString("linkTarget", PathText.Display(file.LinkTarget));
        json.WriteString("sha256Before", file.Sha256Before);
        if (file.BeforeNote is not null)
            json.WriteString("beforeNote", file.BeforeNote);
        json.WriteString("sha256After", file.Sha256After);
        if (file.AfterNote is not null)
            json.WriteString("afterNote", file.AfterNote);
        json.WriteBoolean("changeSeen", file.ChangeSeen);
        json.WriteEndObject();
    }

    private static void WriteTargets(Utf8JsonWriter json, ScanTargets targets)
    {
        json.WriteStartObject("targets");
        json.WriteNumber("count", targets.Count);
        json.WriteStartArray("sample");
        foreach (string target in targets.Sample)
            json.WriteStringValue(target);
        json.WriteEndArray();
        json.WriteNumber("failures", targets.Failures);
        json.WriteEndObject();
    }

    private static void WriteForensics(Utf8JsonWriter json, ForensicsFacts facts)
    {
        json.WriteStartObject("forensics");
        json.WriteString("event", facts.Event);
        if (facts.Cwd is not null)
            json.WriteString("cwd", PathText.Display(facts.Cwd));
        if (facts.Exit is not null)
            json.WriteString("exit", facts.Exit);
        if (facts.ExitCode is int code)
            json.WriteNumber("exitCode", code);
        if (facts.Signal is int signal)
            json.WriteNumber("signal", signal);
        if (facts.LifetimeMs is long lifetime)
            json.WriteNumber("lifetimeMs", lifetime);
        if (facts.Result is not null)
            json.WriteString("result", facts.Result);
        if (facts.IntervalMs is long interval)
            json.WriteNumber("intervalMs", interval);
        if (facts.Remotes is { } remotes)
        {
            json.WriteStartArray("remotes");
            foreach (string remote in remotes)
                json.WriteStringValue(remote);
            json.WriteEndArray();
        }
        if (facts.DistinctRemotes is int distinct)
            json.WriteNumber("distinctRemotes", distinct);
        json.WriteEndObject();
    }

    private static void WriteReload(Utf8JsonWriter json, PolicyReloadFacts reload)
    {
        json.WriteStartObject("reload");
        json.WriteString("path", reload.Path);
        json.WriteString("result", reload.Result);
        json.WriteString("oldHash", reload.OldHash);
        json.WriteString("newHash", reload.NewHash);
        WriteStrings(json, "applied", reload.Applied);
        WriteStrings(json, "pending", reload.Pending);
        WriteStrings(json, "errors", reload.Errors);
        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    public static string ActionName(AuditAction action) => action switch
    {
        AuditAction.Observed => "observed",
        AuditAction.Blocked => "blocked",
        AuditAction.Killed => "killed",
        _ => "detected",
    };

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, int? value)
    {
        if (value is int v)
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
    }
}
