using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Drift prevention: executables that were not in the container image may not run.</summary>
/// <param name="AllowedExecutables">Paths that may run even though they drifted.</param>
public sealed record DriftPreventionPolicy(bool Enabled, EnforcementMode Mode, PolicyList<PathGlob> AllowedExecutables)
    : ControlPolicy(Enabled, Mode);

/// <summary>The drift prevention policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class DriftPreventionPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public DriftPreventionPolicy DriftPrevention => policy.Get<DriftPreventionPolicy>();
    }
}
