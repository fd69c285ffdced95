using System.Collections.Immutable;
using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
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
    private readonly IControl?[] _byDefinition;   // by registry index; null: off
    private readonly IControl[] _controls;
    private readonly IExecControl[] _exec;
    private readonly ILaunchControl[] _launch;
    private readonly ControlServices _services;
    private readonly ILogger _log;

    public ActiveControls(RuntimePolicy policy, ControlServices services, ILogger log)
    {
        Policy = policy;
        _services = services;
        _log = log;
        _byDefinition = [.. ControlRegistry.Pair(policy).Select(pair => pair.Policy.Enabled ? pair.Definition.Create(pair.Policy, services) : null)];
        _controls = [.. _byDefinition.OfType<IControl>()];
        (Drift, ReverseShell, Forensics) = (Find<DriftPrevention>(), Find<ReverseShellDetector>(), Find<Forensics>());
        // The launch controls prepare first: one may fall back to audit mode where the kernel
        // cannot enforce it, and the failure modes below read the modes.
        _launch = [.. _controls.OfType<ILaunchControl>()];
        Launch = new LaunchPlan();
        LaunchRefusal = _launch.Select(control => control.Prepare(Launch)).FirstOrDefault(refusal => refusal is not null) ?? Launch.Seal();
        if (Launch.FileRuleset is { } ruleset)
        {
            Log.ControlPrepared(log, "file restrictions", $"{ruleset.Rules} Landlock rules ({ruleset.Handled} handled) for "
                + string.Join(", ", Launch.FileRestrictions.Select(r => r.Control).Distinct()));
            foreach ((string directory, FileRights missing) in ruleset.LimitedNewEntries)
                Log.ControlWarning(log, "file restrictions", $"an entry created after start directly in {directory} will lack {missing} (docs/limits.md)");
        }
        InstalledRules = ControlRegistry.FilterRules(policy);
        (_exec, Exec, Syscalls, ExecUsesApplet, ExecFailureMode, Sessions, SessionFailureMode) = Decisions(_controls, Launch, services, log, []);
    }

    /// <summary>
    /// A later generation (<see cref="Next"/>): the launch plan, the filter and the launch
    /// controls stay those of the start, which the workload and its sessions already carry.
    /// </summary>
    private ActiveControls(ActiveControls previous, RuntimePolicy policy, IControl?[] byDefinition)
    {
        Policy = policy;
        _services = previous._services;
        _log = previous._log;
        _byDefinition = byDefinition;
        _controls = [.. byDefinition.OfType<IControl>()];
        (Drift, ReverseShell, Forensics) = (Find<DriftPrevention>(), Find<ReverseShellDetector>(), Find<Forensics>());
        _launch = previous._launch;
        Launch = previous.Launch;
        LaunchRefusal = previous.LaunchRefusal;
        InstalledRules = previous.InstalledRules;
        // The filter still notifies the kinds of every earlier generation: those no control
        // decides any more go on (CONTINUE), rather than being refused as a bug.
        SyscallKind[] retired = [.. previous.Syscalls.Kinds.Concat(previous.Syscalls.RetiredKinds).Distinct()];
        (_exec, Exec, Syscalls, ExecUsesApplet, ExecFailureMode, Sessions, SessionFailureMode) = Decisions(_controls, Launch, _services, _log, retired);
    }

    private static (IExecControl[], ExecDecider, SyscallDispatch, bool, EnforcementMode, IReadOnlyList<ISessionControl>, EnforcementMode) Decisions(
        IControl[] controls, LaunchPlan launch, ControlServices services, ILogger log, IEnumerable<SyscallKind> retired)
    {
        IExecControl[] exec = [.. controls.OfType<IExecControl>()];
        // The network controls are asked by one gate, which performs the call after them: it comes last.
        INetworkControl[] network = [.. controls.OfType<INetworkControl>()];
        IEnumerable<ISyscallControl> syscalls = controls.OfType<ISyscallControl>();
        if (network.Length > 0)
            syscalls = syscalls.Append(new NetworkGate(network, services.Outcome, services.NetworkWorkers, log));
        EnforcementMode execFailureMode = exec.Any(control => control.Mode == EnforcementMode.Enforce) ? EnforcementMode.Enforce : EnforcementMode.Audit;
        ISessionControl[] sessions = [.. controls.OfType<ISessionControl>()];
        EnforcementMode sessionFailureMode = execFailureMode == EnforcementMode.Enforce || sessions.Any(control => control.Mode == EnforcementMode.Enforce)
            || launch.FileRuleset is not null ? EnforcementMode.Enforce : EnforcementMode.Audit;
        return (exec, new ExecDecider(exec), new SyscallDispatch(syscalls, services.Outcome, log, retired), exec.Any(control => control.UsesApplet),
            execFailureMode, sessions, sessionFailureMode);
    }

    /// <summary>The policy these controls run: the file's, less any change still waiting for a restart (see <see cref="PolicyChange"/>).</summary>
    public RuntimePolicy Policy { get; }

    /// <summary>The rules of the filter the workload and its sessions carry: those of the policy at start.</summary>
    public ImmutableArray<FilterRule> InstalledRules { get; }

    /// <summary>
    /// The next generation for <paramref name="change"/>: its applied controls made anew from the
    /// new policy, every other control carried over as it runs (its state kept). Called off the
    /// notify loop; nothing runs on it until it is installed (<see cref="LiveControls"/>).
    /// </summary>
    public ActiveControls Next(PolicyChange change)
    {
        var byDefinition = (IControl?[])_byDefinition.Clone();
        for (int i = 0; i < byDefinition.Length; i++)
        {
            if (!change.Applied.Contains(i))
                continue;
            (ControlDefinition definition, ControlPolicy policy) = (ControlRegistry.All[i], change.Effective.Controls[i]);
            byDefinition[i] = policy.Enabled ? definition.Create(policy, _services) : null;
        }
        return new ActiveControls(this, change.Effective, byDefinition);
    }

    /// <summary>The running controls of this generation that <paramref name="next"/> does not carry over: to be disposed once it runs.</summary>
    public IEnumerable<IControl> ReplacedBy(ActiveControls next) =>
        _byDefinition.Where((control, i) => control is not null && !ReferenceEquals(control, next._byDefinition[i]))!;

    /// <summary>Whether the running control of registry entry <paramref name="index"/> acts at launch (its changes wait for a restart).</summary>
    public bool ActsAtLaunch(int index) => _byDefinition[index] is ILaunchControl;

    /// <summary>What the launch shim does to the workload and each exec session before it runs (see <see cref="ILaunchControl"/>).</summary>
    public LaunchPlan Launch { get; }

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

    /// <summary>Drift prevention, if on: the tracer asks it at every exec event (found once per generation, not per exec).</summary>
    public DriftPrevention? Drift { get; }

    /// <summary>The reverse-shell control, if on: the tracer asks it at every exec event.</summary>
    public ReverseShellDetector? ReverseShell { get; }

    /// <summary>Forensics, if on: told of every child PID 1 reaps.</summary>
    public Forensics? Forensics { get; }

    /// <summary>The running control of type <typeparamref name="T"/>, if its policy enables it.</summary>
    public T? Find<T>() where T : class, IControl => _controls.OfType<T>().FirstOrDefault();

    public void Dispose()
    {
        Launch.FileRuleset?.Dispose();
        foreach (IDisposable control in _controls.OfType<IDisposable>())
            control.Dispose();
    }
}
