using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Executables Allowed: only the listed executables may run (an empty list allows all).</summary>
public sealed record ExecutablesAllowedPolicy(bool Enabled, EnforcementMode Mode, PolicyList<ExecutableEntry> Executables)
    : ExecutablesPolicy(Enabled, Mode, Executables);

/// <summary>The Executables Allowed policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ExecutablesAllowedPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ExecutablesAllowedPolicy ExecutablesAllowed => policy.Get<ExecutablesAllowedPolicy>();
    }
}
