using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Capabilities block: the listed capabilities are taken from the workload and its exec sessions at launch.</summary>
/// <param name="Enabled">On, and at least one capability listed: with none listed the control has nothing to do and is off.</param>
/// <param name="Capabilities">The blocked capabilities, a mask by number (bit 13: CAP_NET_RAW); see <see cref="LinuxCapability"/>.</param>
public sealed record CapabilitiesBlockPolicy(bool Enabled, EnforcementMode Mode, ulong Capabilities)
    : ControlPolicy(Enabled, Mode);

/// <summary>The Capabilities Block policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class CapabilitiesBlockPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public CapabilitiesBlockPolicy CapabilitiesBlock => policy.Get<CapabilitiesBlockPolicy>();
    }
}
