using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Port Block: listening on (binding) a listed inbound port fails, and connecting or sending to
/// a listed remote port fails; TCP and UDP (and raw packets), IPv4 and IPv6. Each direction has
/// either a block list (<c>inboundPorts</c>, <c>outboundPorts</c>) or an allow list
/// (<c>allowedInboundPorts</c>, <c>allowedOutboundPorts</c>: only these), or neither (nothing
/// judged that way). Off by default.
/// </summary>
/// <remarks>An absent allow list is null (none applies); an empty one allows no port.</remarks>
public sealed record PortBlockPolicy(bool Enabled, EnforcementMode Mode, PolicyList<PortRange> InboundPorts, PolicyList<PortRange>? AllowedInboundPorts,
    PolicyList<PortRange> OutboundPorts, PolicyList<PortRange>? AllowedOutboundPorts)
    : ControlPolicy(Enabled, Mode);

/// <summary>The port-block policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class PortBlockPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public PortBlockPolicy PortBlock => policy.Get<PortBlockPolicy>();
    }
}
