using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>The outcome for one exec: allowed, or a finding and whether it is enforced.</summary>
internal sealed record ExecDecision(ControlFinding? Finding, EnforcementMode Mode)
{
    public static ExecDecision Allowed { get; } = new(null, EnforcementMode.Audit);

    /// <summary>The exec must not happen (enforce mode and a control objected).</summary>
    public bool Deny => Finding is not null && Mode == EnforcementMode.Enforce;

    /// <summary>A control objected, in audit mode: the exec goes on and is reported.</summary>
    public bool Detected => Finding is not null && Mode == EnforcementMode.Audit;

    /// <summary>Decidable only once the image baseline is recorded (see <see cref="ControlFinding.AwaitsBaseline"/>).</summary>
    public bool AwaitsBaseline => Finding?.AwaitsBaseline == true;
}
