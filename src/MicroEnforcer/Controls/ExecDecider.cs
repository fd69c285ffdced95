namespace MicroEnforcer.Controls;

/// <summary>
/// The single place where an exec is decided. The first enforcing objection wins over audit-only
/// ones, so a control in audit mode never hides an enforced block by another control.
/// </summary>
internal sealed class ExecDecider(IReadOnlyList<IExecControl> controls)
{
    public ExecDecision Decide(ExecTarget target)
    {
        ExecDecision? detected = null;
        foreach (IExecControl control in controls)
        {
            ControlFinding? finding = control.Evaluate(target);
            if (finding is null)
                continue;
            var decision = new ExecDecision(finding, control.Mode);
            if (decision.Deny)
                return decision;
            detected ??= decision;
        }
        return detected ?? ExecDecision.Allowed;
    }
}
