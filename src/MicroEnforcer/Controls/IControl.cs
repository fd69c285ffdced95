using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// A running control, made from its policy by its <see cref="ControlDefinition"/>. Where it acts
/// is said by the interfaces it implements: <see cref="IExecControl"/> (it judges execs, at entry
/// and at the exec event), <see cref="ISyscallControl"/> (it decides notified calls at entry),
/// <see cref="ILaunchControl"/> (it shapes the workload and each exec session before they run),
/// <see cref="ISessionControl"/> (it decides exec sessions themselves).
/// </summary>
internal interface IControl
{
    /// <summary>The audit event's <c>control</c>: the same name its findings carry.</summary>
    string Name { get; }

    EnforcementMode Mode { get; }
}
