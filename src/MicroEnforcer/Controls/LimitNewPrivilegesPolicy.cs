using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Limit new privileges: NO_NEW_PRIVS on the workload and every exec session, always. The seccomp
/// filter cannot be installed without it (see <see cref="LimitNewPrivilegesControl"/>), so the
/// policy can only state it: enabled, enforced.
/// </summary>
public sealed record LimitNewPrivilegesPolicy() : ControlPolicy(true, EnforcementMode.Enforce);

/// <summary>The Limit New Privileges policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class LimitNewPrivilegesPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public LimitNewPrivilegesPolicy LimitNewPrivileges => policy.Get<LimitNewPrivilegesPolicy>();
    }
}
