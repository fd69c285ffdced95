namespace MicroEnforcer.Controls;

/// <summary>
/// A control that judges execs. Every one is asked through <see cref="ExecDecider"/>, the one
/// place where an exec is decided, at entry and again once the image is loaded.
/// </summary>
internal interface IExecControl : IControl
{
    /// <summary>Null when the control has no objection.</summary>
    ControlFinding? Evaluate(ExecTarget target);
}
