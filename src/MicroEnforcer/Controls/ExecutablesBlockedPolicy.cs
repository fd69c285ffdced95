using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Executables Blocked: the listed executables may not run, image binaries included.</summary>
public sealed record ExecutablesBlockedPolicy(bool Enabled, EnforcementMode Mode, PolicyList<ExecutableEntry> Executables)
    : ExecutablesPolicy(Enabled, Mode, Executables);

/// <summary>The Executables Blocked policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ExecutablesBlockedPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ExecutablesBlockedPolicy ExecutablesBlocked => policy.Get<ExecutablesBlockedPolicy>();
    }
}
