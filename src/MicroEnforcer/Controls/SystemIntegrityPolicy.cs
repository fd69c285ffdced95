using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// System Integrity Monitoring: calls that change the clock, the host name, the mounts, kernel
/// modules, reboot, swap, process accounting or kexec are reported. Audit only: its mode is always audit.
/// </summary>
public sealed record SystemIntegrityPolicy(bool Enabled)
    : ControlPolicy(Enabled, EnforcementMode.Audit);

/// <summary>The System Integrity Monitoring policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class SystemIntegrityPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public SystemIntegrityPolicy SystemIntegrityMonitoring => policy.Get<SystemIntegrityPolicy>();
    }
}
