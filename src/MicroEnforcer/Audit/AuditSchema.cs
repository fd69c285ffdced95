using Google.Protobuf.WellKnownTypes;
using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Audit;

/// <summary>
/// The one conversion from the record controls build (<see cref="AuditEvent"/>) to the schema
/// every output is produced from (Schema/microenforcer/audit/v1/event.proto). Paths become the
/// text they are shown as (PathText.Display) here, once, so that no format can show another name.
/// </summary>
internal static class AuditSchema
{
    /// <summary>The schema_version this binary writes (event.proto's header says when it changes).</summary>
    public const uint Version = 1;

    public static Event ToProto(AuditEvent e)
    {
        var proto = new Event
        {
            SchemaVersion = Version,
            Time = Timestamp.FromDateTimeOffset(e.Time),
            Control = e.Control,
            Action = ToProto(e.Action),
            Mode = e.Mode,
            Pid = e.Pid,
            Path = PathText.Display(e.Path),
            Reason = e.Reason,
            Syscall = e.Syscall,
        };
        if (e.PPid is int ppid)
            proto.Ppid = ppid;
        if (e.Uid is int uid)
            proto.Uid = uid;
        if (e.RequestedPath is not null)
            proto.RequestedPath = PathText.Display(e.RequestedPath);
        if (e.Cmdline is not null)
            proto.Cmdline = PathText.Display(e.Cmdline);
        if (e.Count is int count)
            proto.Count = count;
        if (e.Remote is not null)
            proto.Remote = e.Remote;
        if (e.Local is not null)
            proto.Local = e.Local;
        if (e.Protocol is not null)
            proto.Protocol = e.Protocol;
        if (e.Domain is not null)
            proto.Domain = e.Domain;
        if (e.File is { } file)
            proto.File = ToProto(file);
        if (e.Targets is { } targets)
            proto.Targets = ToProto(targets);
        if (e.Forensics is { } forensics)
            proto.Forensics = ToProto(forensics);
        if (e.Reload is { } reload)
            proto.Reload = ToProto(reload);
        if (e.Dropped is { } dropped)
            proto.Dropped = new Event.Types.SinkDrop { Sink = dropped.Sink, Count = dropped.Count };
        return proto;
    }

    public static EventAction ToProto(AuditAction action) => action switch
    {
        AuditAction.Blocked => EventAction.Blocked,
        AuditAction.Killed => EventAction.Killed,
        AuditAction.Observed => EventAction.Observed,
        _ => EventAction.Detected,
    };

    /// <summary>
    /// Whether the event is about a process (pid, path = its executable...), as every control's is;
    /// the enforcer's own events (a policy reload, a sink's drops) carry PID 1 and a file instead.
    /// </summary>
    public static bool IsAboutAProcess(Event e) => e.Reload is null && e.Dropped is null;

    /// <summary>The action's wire name, the same in every format: blocked, killed, detected, observed.</summary>
    public static string ActionName(EventAction action) => action switch
    {
        EventAction.Observed => "observed",
        EventAction.Blocked => "blocked",
        EventAction.Killed => "killed",
        _ => "detected",
    };

    private static Event.Types.FileChange ToProto(FileChange file)
    {
        var proto = new Event.Types.FileChange
        {
            Operation = file.Operation,
            Path = PathText.Display(file.Path),
            ChangeSeen = file.ChangeSeen,
        };
        if (file.NewPath is not null)
            proto.NewPath = PathText.Display(file.NewPath);
        if (file.LinkTarget is not null)
            proto.LinkTarget = PathText.Display(file.LinkTarget);
        if (file.Sha256Before is not null)
            proto.Sha256Before = file.Sha256Before;
        if (file.BeforeNote is not null)
            proto.BeforeNote = file.BeforeNote;
        if (file.Sha256After is not null)
            proto.Sha256After = file.Sha256After;
        if (file.AfterNote is not null)
            proto.AfterNote = file.AfterNote;
        return proto;
    }

    private static Event.Types.ScanTargets ToProto(ScanTargets targets)
    {
        var proto = new Event.Types.ScanTargets { Count = targets.Count, Failures = targets.Failures };
        proto.Sample.AddRange(targets.Sample);
        return proto;
    }

    private static Event.Types.Forensics ToProto(ForensicsFacts facts)
    {
        var proto = new Event.Types.Forensics { Event = facts.Event };
        if (facts.Cwd is not null)
            proto.Cwd = PathText.Display(facts.Cwd);
        if (facts.Exit is not null)
            proto.Exit = facts.Exit;
        if (facts.ExitCode is int code)
            proto.ExitCode = code;
        if (facts.Signal is int signal)
            proto.Signal = signal;
        if (facts.LifetimeMs is long lifetime)
            proto.LifetimeMs = lifetime;
        if (facts.Result is not null)
            proto.Result = facts.Result;
        if (facts.IntervalMs is long interval)
            proto.IntervalMs = interval;
        if (facts.Remotes is { } remotes)
        {
            proto.Remotes = new Event.Types.Forensics.Types.Remotes();
            proto.Remotes.Addresses.AddRange(remotes);
        }
        if (facts.DistinctRemotes is int distinct)
            proto.DistinctRemotes = distinct;
        return proto;
    }

    private static Event.Types.PolicyReload ToProto(PolicyReloadFacts reload)
    {
        var proto = new Event.Types.PolicyReload { Path = PathText.Display(reload.Path), Result = reload.Result };
        if (reload.OldHash is not null)
            proto.OldHash = reload.OldHash;
        if (reload.NewHash is not null)
            proto.NewHash = reload.NewHash;
        proto.Applied.AddRange(reload.Applied);
        proto.Pending.AddRange(reload.Pending);
        proto.Errors.AddRange(reload.Errors);
        return proto;
    }
}
