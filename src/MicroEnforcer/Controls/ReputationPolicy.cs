using MicroEnforcer.Network;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// DNS/IP Reputation: lookups of listed domains (and their subdomains) fail, and connections and
/// sends to listed addresses and networks are refused, however the address was obtained. The
/// lists are the policy's own (<c>domains</c>, <c>addresses</c>) and list files it names
/// (<c>listFiles</c>: hosts-file or one-entry-per-line files, e.g. a ConfigMap volume), loaded
/// before start. <c>dnsPorts</c>: where lookups are read (default 53). Off by default.
/// </summary>
public sealed record ReputationPolicy(bool Enabled, EnforcementMode Mode, PolicyList<DomainName> Domains, PolicyList<IpNetwork> Addresses,
    PolicyList<ListFile> ListFiles, PolicyList<PortRange> DnsPorts)
    : ControlPolicy(Enabled, Mode)
{
    /// <summary>Where lookups are read unless the policy says otherwise.</summary>
    public static PolicyList<PortRange> DefaultDnsPorts { get; } = [new PortRange(53, 53)];
}

/// <summary>The reputation policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ReputationPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ReputationPolicy Reputation => policy.Get<ReputationPolicy>();
    }
}
