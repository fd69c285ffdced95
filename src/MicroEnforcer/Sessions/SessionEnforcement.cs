using System.Collections.Immutable;
using MicroEnforcer.Audit;
using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Sessions;

/// <summary>
/// What exec-session enforcement needs from the rest of PID 1 (the workload's filter, a receiver
/// per session listener) and what it reports. Its failures are audited under the control name
/// "execSessions": a process that cannot be brought under enforcement is killed when the exec
/// controls enforce (fail closed), and reported otherwise.
/// </summary>
/// <param name="ownBinary">The launcher's own binary as it was at start (null if unreadable).</param>
internal sealed class SessionEnforcement(ImmutableArray<BpfInstruction> filter, LiveControls live, NotificationListeners listeners,
    Outcome outcome, FileSignature? ownBinary, ILogger log)
{
    public const string ControlName = "execSessions";

    /// <summary>How long a seize may keep failing before the process is killed (enforce) or reported.</summary>
    public const long CaptureGraceMs = 500;

    /// <summary>The workload's filter, injected unchanged into every session.</summary>
    public ImmutableArray<BpfInstruction> Filter { get; } = filter;

    /// <summary>The workload's launch plan (capabilities dropped, files restricted), injected with the filter.</summary>
    public LaunchPlan Launch => live.Current.Launch;

    private RulesetCourier? _courier;
    private bool _courierTried;

    /// <summary>
    /// What carries the plan's Landlock rule set into injected sessions: null when the plan has
    /// none, or when its socket cannot be bound (said once; every injection then fails closed).
    /// Made at the first injection that needs it, on the tracer thread: a container nobody
    /// execs into publishes no name.
    /// </summary>
    public RulesetCourier? Courier
    {
        get
        {
            if (_courierTried || live.Current.Launch.FileRuleset is not { } ruleset)
                return _courier;
            _courierTried = true;
            _courier = RulesetCourier.Open(ruleset.Fd, out string? error);
            if (error is not null)
                Log.SessionRulesetUnavailable(log, error);
            return _courier;
        }
    }

    /// <summary>
    /// The session exec'd this launcher's own binary: `microenforcer exec` installs the filter by
    /// itself (a second listener filter would make its own attempt fail with EBUSY), so it is not
    /// injected but stays traced: until it joins, whatever it execs is decided at the exec event.
    /// </summary>
    public bool IsEnforcerBinary(int pid) =>
        ownBinary is { } own && FileSignature.TryRead($"/proc/{pid}/exe", out FileSignature loaded) == 0 &&
        loaded.DevMajor == own.DevMajor && loaded.DevMinor == own.DevMinor && loaded.Inode == own.Inode;

    public void Captured(int pid, string reason) =>
        Log.SessionCaptured(log, pid, ProcCmdline.Read(pid) ?? "?", reason);

    public void Enforced(int pid, int listenerFd)
    {
        string path = NativePath.ReadLink($"/proc/{pid}/exe") ?? "?";
        listeners.Session(listenerFd, $"exec session pid {pid} ({path})");
        Log.SessionEnforced(log, pid, path);
        live.Current.Launched(pid, "the exec session", path);
    }

    public void TracedOnly(int pid, string reason) => Log.SessionTracedOnly(log, pid, reason);

    /// <summary>Seizing failed. Returns nothing: the process is killed or reported here.</summary>
    public void CannotCapture(int pid, string reason, string failure) =>
        FailClosed(pid, $"an exec session ({reason}) cannot be brought under enforcement: {failure}");

    /// <summary>
    /// The filter could not be injected, or a control's part of the launch plan could not be
    /// carried out (<paramref name="control"/>, whose plan only enforcing controls add to: it is
    /// killed). True: the (stopped) process was killed.
    /// </summary>
    public bool InjectionFailed(int pid, string failure, string? control)
    {
        if (control is not null)
        {
            return outcome.AtExecEvent(pid, new ControlFinding(control, $"the exec session cannot be launched under the policy: {failure}"),
                EnforcementMode.Enforce, "none", NativePath.ReadLink($"/proc/{pid}/exe") ?? "?");
        }
        bool killed = FailClosed(pid, $"the exec session's filter could not be injected: {failure}");
        if (!killed)
            Log.SessionTracedOnly(log, pid, failure);
        return killed;
    }

    // Killed in enforce mode (a seized process is stopped, or not yet running anything of its
    // own), reported either way.
    private bool FailClosed(int pid, string reason) =>
        outcome.AtExecEvent(pid, new ControlFinding(ControlName, reason), live.Current.SessionFailureMode, "none", NativePath.ReadLink($"/proc/{pid}/exe") ?? "?");
}
