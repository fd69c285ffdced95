using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Capabilities Block's section (<c>spec.capabilitiesBlock</c>); see <see cref="CapabilitiesBlock"/>. It needs no syscall.</summary>
internal sealed class CapabilitiesBlockControl : ControlDefinition<CapabilitiesBlockPolicy>
{
    public override string Name => "capabilitiesBlock";

    public override string Title => "capabilities block";

    public override string AuditName => CapabilitiesBlock.ControlName;

    protected override CapabilitiesBlockPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches();
        IReadOnlyList<ulong> listed = section.List<ulong>("capabilities", "a list of capability names (e.g. [NET_RAW, SYS_ADMIN])",
            "a capability name such as NET_RAW", LinuxCapability.Parse) ?? [];
        ulong capabilities = listed.Aggregate(0UL, (mask, capability) => mask | capability);
        return new CapabilitiesBlockPolicy(enabled && capabilities != 0, mode, capabilities);
    }

    protected override string DescribePolicy(CapabilitiesBlockPolicy policy) =>
        policy.Mode == EnforcementMode.Enforce
            ? $"removes {LinuxCapability.Describe(policy.Capabilities)} at launch"
            : $"reports {LinuxCapability.Describe(policy.Capabilities)} held at launch";

    protected override IEnumerable<FilterRule> RulesFor(CapabilitiesBlockPolicy policy) => [];

    public override bool ActsAtLaunch => true;

    protected override IControl CreateFor(CapabilitiesBlockPolicy policy, ControlServices services) =>
        new CapabilitiesBlock(policy, services.Outcome);
}
