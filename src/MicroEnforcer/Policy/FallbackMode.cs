namespace MicroEnforcer.Policy;

/// <summary>
/// What an enforcing control does where the kernel lacks the mechanism it enforces with (Landlock,
/// or a Landlock ABI too old for one of its rights): the policy's <c>fallback</c> field.
/// </summary>
public enum FallbackMode
{
    /// <summary>The enforcer refuses to start, naming the control and the kernel feature (the default): never silently less.</summary>
    Refuse,

    /// <summary>The control runs in audit mode instead, and says so at start.</summary>
    Audit,
}
