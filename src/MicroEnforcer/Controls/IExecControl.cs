using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// A runtime control that judges execs. Every control is asked through <see cref="ExecDecider"/>,
/// the one place where an exec is decided, at entry and again once the image is loaded.
/// </summary>
internal interface IExecControl
{
    string Name { get; }

    EnforcementMode Mode { get; }

    /// <summary>Null when the control has no objection.</summary>
    ControlFinding? Evaluate(ExecTarget target);
}
