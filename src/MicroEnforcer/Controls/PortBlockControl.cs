using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The port-block section (<c>spec.portBlock</c>) and syscalls; see <see cref="PortBlock"/>.</summary>
internal sealed class PortBlockControl : ControlDefinition<PortBlockPolicy>
{
    public override string Name => "portBlock";

    public override string Title => "port block";

    public override string AuditName => PortBlock.ControlName;

    protected override PortBlockPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        section.NotBoth("inboundPorts", "allowedInboundPorts", "a direction has a block list or an allow list (only those ports)");
        section.NotBoth("outboundPorts", "allowedOutboundPorts", "a direction has a block list or an allow list (only those ports)");
        return new PortBlockPolicy(enabled, mode, section.Ports("inboundPorts"), section.OptionalPorts("allowedInboundPorts"),
            section.Ports("outboundPorts"), section.OptionalPorts("allowedOutboundPorts"));
    }

    protected override string DescribePolicy(PortBlockPolicy policy) =>
        $"inbound {Describe(policy.InboundPorts, policy.AllowedInboundPorts)}, outbound {Describe(policy.OutboundPorts, policy.AllowedOutboundPorts)}";

    private static string Describe(PolicyList<PortRange> blocked, PolicyList<PortRange>? allowed) =>
        allowed is not null ? $"only {string.Join(", ", allowed)}" : blocked.Count > 0 ? $"not {string.Join(", ", blocked)}" : "any port";

    // Inbound rules judge binds, and listens (a listen on an unbound socket binds it itself).
    protected override IEnumerable<FilterRule> RulesFor(PortBlockPolicy policy) =>
        NetworkGate.Rules(listens: policy.InboundPorts.Count > 0 || policy.AllowedInboundPorts is not null, sendsWithoutAddress: false);

    protected override IControl CreateFor(PortBlockPolicy policy, ControlServices services) => new PortBlock(policy);
}
