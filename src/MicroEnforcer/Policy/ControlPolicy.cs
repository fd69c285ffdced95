namespace MicroEnforcer.Policy;

/// <summary>
/// The policy of one control: the <c>enabled</c> and <c>mode</c> every control has, and the
/// fields of its own that a derived record adds. Each control declares its record and the
/// <see cref="PolicySection"/> that reads it.
/// </summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
public abstract record ControlPolicy(bool Enabled, EnforcementMode Mode)
{
    /// <summary>Active and blocking: what it objects to does not happen.</summary>
    public bool Enforces => Enabled && Mode == EnforcementMode.Enforce;
}
