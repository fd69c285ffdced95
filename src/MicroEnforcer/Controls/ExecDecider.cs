namespace MicroEnforcer.Controls;

/// <summary>
/// The single place where an exec is decided. The first enforcing objection wins over audit-only
/// ones, so a control in audit mode never hides an enforced block by another control. An
/// objection that awaits the baseline comes next: once the baseline is recorded the exec is
/// decided again, and the other controls' findings are reported then.
/// </summary>
internal sealed class ExecDecider(IReadOnlyList<IExecControl> controls)
{
    public ExecDecision Decide(ExecTarget target)
    {
        ExecDecision? detected = null, awaiting = null;
        foreach (IExecControl control in controls)
        {
            ControlFinding? finding = control.Evaluate(target);
            if (finding is null)
                continue;
            var decision = new ExecDecision(finding, control.Mode);
            if (finding.AwaitsBaseline)
                awaiting ??= decision;
            else if (decision.Deny)
                return decision;
            else
                detected ??= decision;
        }
        return awaiting ?? detected ?? ExecDecision.Allowed;
    }
}
