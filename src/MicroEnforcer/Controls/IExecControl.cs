namespace MicroEnforcer.Controls;

/// <summary>
/// A control that judges execs. Every one is asked through <see cref="ExecDecider"/>, the one
/// place where an exec is decided, at entry and again once the image is loaded.
/// </summary>
internal interface IExecControl : IControl
{
    /// <summary>
    /// The control reads <see cref="ExecTarget.Applet"/>: at entry it is read from the caller's
    /// memory for a multi-call binary, which only such a control pays for.
    /// </summary>
    bool UsesApplet => false;

    /// <summary>Null when the control has no objection.</summary>
    ControlFinding? Evaluate(ExecTarget target);
}
