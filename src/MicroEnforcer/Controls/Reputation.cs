using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// DNS/IP Reputation, on every connect and send of an Internet socket the
/// <see cref="NetworkGate"/> reads: a destination in a listed network is refused (EACCES),
/// whatever gave the program the address (a hard-coded IP, any resolver, a cache); a lookup of a
/// listed domain fails, where the resolver sends it from (see <see cref="DnsInterception"/>).
/// </summary>
internal sealed class Reputation : INetworkControl
{
    public const string ControlName = "reputation";

    private readonly ReputationPolicy _policy;
    private readonly DnsInterception _dns;
    private readonly DomainSet _domains;
    private readonly AddressSet _addresses;

    public Reputation(ReputationPolicy policy, DnsInterception dns)
    {
        _policy = policy;
        _dns = dns;
        _domains = DomainSet.From(policy.Domains, policy.ListFiles.Select(file => file.Domains));
        _addresses = AddressSet.From(policy.Addresses, policy.ListFiles.Select(file => file.Networks));
        if (!_domains.IsEmpty)
            dns.Register(ControlName, policy.Mode, _domains, policy.DnsPorts);
    }

    public string Name => ControlName;

    public EnforcementMode Mode => _policy.Mode;

    public SyscallVerdict Judge(NetworkCall call)
    {
        if (call.Operation is not (NetworkOperation.Connect or NetworkOperation.Send))
            return SyscallVerdict.Continue;
        if (!_addresses.IsEmpty)
        {
            foreach (IPEndPoint remote in call.Destinations())
            {
                if (_addresses.Match(remote.Address) is { } network)
                {
                    return NetworkFindings.Object(ControlName, call, $"{NetworkPerformer.Describe(call, remote)}: {remote.Address} is in the listed network {network}",
                        remote);
                }
            }
        }
        return _domains.IsEmpty ? SyscallVerdict.Continue : _dns.JudgeLookup(ControlName, call, _domains, "listed");
    }

    public void Completed(NetworkCall call, long result)
    {
    }
}
