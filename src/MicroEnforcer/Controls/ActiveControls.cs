using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// The running controls of one policy: every enabled control of the registry, made once at
/// start, and what the notify loop and the tracer ask: the exec decision, the syscall dispatch.
/// </summary>
internal sealed class ActiveControls : IDisposable
{
    private readonly IControl[] _controls;
    private readonly IExecControl[] _exec;

    public ActiveControls(RuntimePolicy policy, ControlServices services, ILogger log)
    {
        _controls = [.. ControlRegistry.Pair(policy)
            .Where(pair => pair.Policy.Enabled)
            .Select(pair => pair.Definition.Create(pair.Policy, services))];
        _exec = [.. _controls.OfType<IExecControl>()];
        Exec = new ExecDecider(_exec);
        Syscalls = new SyscallDispatch(_controls.OfType<ISyscallControl>(), services.Outcome, log);
        ExecFailureMode = _exec.Any(control => control.Mode == EnforcementMode.Enforce) ? EnforcementMode.Enforce : EnforcementMode.Audit;
        Sessions = [.. _controls.OfType<ISessionControl>()];
        SessionFailureMode = ExecFailureMode == EnforcementMode.Enforce || Sessions.Any(control => control.Mode == EnforcementMode.Enforce)
            ? EnforcementMode.Enforce : EnforcementMode.Audit;
    }

    public ExecDecider Exec { get; }

    public SyscallDispatch Syscalls { get; }

    /// <summary>An exec (or exec session) nobody can judge is refused when any exec control enforces, else reported.</summary>
    public EnforcementMode ExecFailureMode { get; }

    /// <summary>The controls that decide exec sessions themselves (see <see cref="ISessionControl"/>).</summary>
    public IReadOnlyList<ISessionControl> Sessions { get; }

    /// <summary>
    /// An exec session that cannot be brought under enforcement is killed when an exec control or
    /// a session control enforces (a session nobody can watch cannot be refused later), else reported.
    /// </summary>
    public EnforcementMode SessionFailureMode { get; }

    /// <summary>
    /// An exec no control could judge (its file or image cannot be read): reported under the
    /// first exec control that enforces, whose refusal it becomes, else the first that audits.
    /// </summary>
    public ExecDecision Undecidable(string reason)
    {
        IExecControl? control = _exec.FirstOrDefault(c => c.Mode == EnforcementMode.Enforce) ?? _exec.FirstOrDefault();
        return new ExecDecision(new ControlFinding(control?.Name ?? DriftPrevention.ControlName, reason), ExecFailureMode);
    }

    /// <summary>The running control of type <typeparamref name="T"/>, if its policy enables it.</summary>
    public T? Find<T>() where T : class, IControl => _controls.OfType<T>().FirstOrDefault();

    public void Dispose()
    {
        foreach (IDisposable control in _controls.OfType<IDisposable>())
            control.Dispose();
    }
}
