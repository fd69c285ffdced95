using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// The running controls of one policy: every enabled control of the registry, made once at
/// start, and what the rest of PID 1 asks of them: the exec decision (entry check, tracer), the
/// syscall dispatch (notify loop), the launch plan (launch shim, injected sessions) and the
/// session controls (tracer, session server).
/// </summary>
internal sealed class ActiveControls : IDisposable
{
    private readonly IControl[] _controls;
    private readonly IExecControl[] _exec;
    private readonly ILaunchControl[] _launch;

    public ActiveControls(RuntimePolicy policy, ControlServices services, ILogger log)
    {
        _controls = [.. ControlRegistry.Pair(policy)
            .Where(pair => pair.Policy.Enabled)
            .Select(pair => pair.Definition.Create(pair.Policy, services))];
        // The launch controls prepare first: one may fall back to audit mode where the kernel
        // cannot enforce it, and the failure modes below read the modes.
        _launch = [.. _controls.OfType<ILaunchControl>()];
        LaunchRefusal = _launch.Select(control => control.Prepare(Launch)).FirstOrDefault(refusal => refusal is not null) ?? Launch.Seal();
        if (Launch.FileRuleset is { } ruleset)
        {
            Log.ControlPrepared(log, "file restrictions", $"{ruleset.Rules} Landlock rules ({ruleset.Handled} handled) for "
                + string.Join(", ", Launch.FileRestrictions.Select(r => r.Control).Distinct()));
            foreach ((string directory, FileRights missing) in ruleset.LimitedNewEntries)
                Log.ControlWarning(log, "file restrictions", $"an entry created after start directly in {directory} will lack {missing} (docs/limits.md)");
        }
        _exec = [.. _controls.OfType<IExecControl>()];
        Exec = new ExecDecider(_exec);
        // The network controls are asked by one gate, which performs the call after them: it comes last.
        INetworkControl[] network = [.. _controls.OfType<INetworkControl>()];
        IEnumerable<ISyscallControl> syscalls = _controls.OfType<ISyscallControl>();
        if (network.Length > 0)
            syscalls = syscalls.Append(new NetworkGate(network, services.Outcome, log));
        Syscalls = new SyscallDispatch(syscalls, services.Outcome, log);
        ExecUsesApplet = _exec.Any(control => control.UsesApplet);
        ExecFailureMode = _exec.Any(control => control.Mode == EnforcementMode.Enforce) ? EnforcementMode.Enforce : EnforcementMode.Audit;
        Sessions = [.. _controls.OfType<ISessionControl>()];
        SessionFailureMode = ExecFailureMode == EnforcementMode.Enforce || Sessions.Any(control => control.Mode == EnforcementMode.Enforce)
            || Launch.FileRuleset is not null ? EnforcementMode.Enforce : EnforcementMode.Audit;
    }

    /// <summary>What the launch shim does to the workload and each exec session before it runs (see <see cref="ILaunchControl"/>).</summary>
    public LaunchPlan Launch { get; } = new();

    /// <summary>Why the plan cannot be carried out (the workload must not start), or null.</summary>
    public string? LaunchRefusal { get; }

    /// <summary>A process was launched under <see cref="Launch"/>: the launch controls look at it.</summary>
    public void Launched(int pid, string process, string? path = null)
    {
        foreach (ILaunchControl control in _launch)
            control.Launched(pid, process, path);
    }

    public ExecDecider Exec { get; }

    public SyscallDispatch Syscalls { get; }

    /// <summary>Whether an exec control reads a multi-call binary's applet (see <see cref="IExecControl.UsesApplet"/>).</summary>
    public bool ExecUsesApplet { get; }

    /// <summary>An exec (or exec session) nobody can judge is refused when any exec control enforces, else reported.</summary>
    public EnforcementMode ExecFailureMode { get; }

    /// <summary>The controls that decide exec sessions themselves (see <see cref="ISessionControl"/>).</summary>
    public IReadOnlyList<ISessionControl> Sessions { get; }

    /// <summary>
    /// An exec session that cannot be brought under enforcement is killed when an exec control or
    /// a session control enforces (a session nobody can watch cannot be refused later), or files
    /// are restricted (a session without the rule set would not be), else reported.
    /// </summary>
    public EnforcementMode SessionFailureMode { get; }

    /// <summary>
    /// An exec no control could judge (its file or image cannot be read): reported under an exec
    /// control that enforces, whose refusal it becomes, else one that audits; drift prevention
    /// first, as the control that judges which file it is (the others judge what the file is).
    /// </summary>
    public ExecDecision Undecidable(string reason)
    {
        IEnumerable<IExecControl> candidates = _exec.OfType<DriftPrevention>().Concat(_exec);
        IExecControl? control = candidates.FirstOrDefault(c => c.Mode == EnforcementMode.Enforce) ?? candidates.FirstOrDefault();
        return new ExecDecision(new ControlFinding(control?.Name ?? DriftPrevention.ControlName, reason), ExecFailureMode);
    }

    /// <summary>The running control of type <typeparamref name="T"/>, if its policy enables it.</summary>
    public T? Find<T>() where T : class, IControl => _controls.OfType<T>().FirstOrDefault();

    public void Dispose()
    {
        Launch.FileRuleset?.Dispose();
        foreach (IDisposable control in _controls.OfType<IDisposable>())
            control.Dispose();
    }
}
