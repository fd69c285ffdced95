using MicroEnforcer.Logging;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The reputation section (<c>spec.reputation</c>) and syscalls; see <see cref="Reputation"/>.</summary>
internal sealed class ReputationControl : ControlDefinition<ReputationPolicy>
{
    public override string Name => "reputation";

    public override string Title => "DNS/IP reputation";

    public override string AuditName => Reputation.ControlName;

    protected override ReputationPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        PolicyList<DomainName> domains = section.Domains("domains");
        PolicyList<IpNetwork> addresses = section.Networks("addresses");
        PolicyList<ListFile> files = section.ListFiles<ListFile>("listFiles", ListFile.Load);
        PolicyList<PortRange> ports = section.OptionalPorts("dnsPorts") ?? ReputationPolicy.DefaultDnsPorts;
        return new ReputationPolicy(enabled, mode, domains, addresses, files, ports);
    }

    protected override string DescribePolicy(ReputationPolicy policy) =>
        $"{policy.Domains.Count + policy.ListFiles.Sum(file => file.Domains.Count)} domain(s), "
        + $"{policy.Addresses.Count + policy.ListFiles.Sum(file => file.Networks.Count)} network(s), {policy.ListFiles.Count} list file(s)";

    // Every send: a resolver's query may go out by send() on a connected socket, whose payload
    // PID 1 must read (and whose socket it may have to connect back to its server first).
    protected override IEnumerable<FilterRule> RulesFor(ReputationPolicy policy) => NetworkGate.Rules(listens: false, sendsWithoutAddress: true);

    public override IEnumerable<string> FilesRead(ControlPolicy policy) => ((ReputationPolicy)policy).ListFiles.Select(file => file.Path);

    protected override IControl CreateFor(ReputationPolicy policy, ControlServices services)
    {
        foreach (ListFile file in policy.ListFiles)
        {
            foreach (string warning in file.Warnings)
                Log.ControlWarning(services.Log, Name, $"list file line skipped: {warning}");
        }
        return new Reputation(policy, services.Dns);
    }
}
