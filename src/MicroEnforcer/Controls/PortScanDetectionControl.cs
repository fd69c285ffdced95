using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Port Scanning Detection's section (<c>spec.portScanDetection</c>) and syscalls; see <see cref="PortScanDetection"/>.</summary>
internal sealed class PortScanDetectionControl : ControlDefinition<PortScanPolicy>
{
    public static readonly TimeSpan MinWindow = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxWindow = TimeSpan.FromHours(1);

    public override string Name => "portScanDetection";

    public override string Title => "port scanning detection";

    public override string AuditName => PortScanDetection.ControlName;

    // Off unless asked for: every connect and every datagram sent with an address costs a round
    // trip to PID 1 (docs/cost.md). The upper bounds keep what one initiator's window holds
    // within ScanDetector's caps.
    protected override PortScanPolicy Read(SectionReader section)
    {
        bool enabled = section.AuditOnlySwitch(enabledByDefault: false);
        TimeSpan window = section.Duration("window", MinWindow, MaxWindow, PortScanPolicy.DefaultWindow);
        int ports = section.Int("distinctPorts", 2, ScanDetector.MaxThreshold, PortScanPolicy.DefaultDistinctPorts);
        int hosts = section.Int("distinctHosts", 2, ScanDetector.MaxThreshold, PortScanPolicy.DefaultDistinctHosts);
        return new PortScanPolicy(enabled, window, ports, hosts);
    }

    protected override string DescribePolicy(PortScanPolicy policy) =>
        $"{policy.DistinctPorts} ports of one host or {policy.DistinctHosts} hosts on one port within {PolicyDuration.Format(policy.Window)}";

    // Connects and sends with an address; listen is not an attempt on anyone.
    protected override IEnumerable<FilterRule> RulesFor(PortScanPolicy policy) => NetworkGate.Rules(listens: false, sendsWithoutAddress: false);

    protected override IControl CreateFor(PortScanPolicy policy, ControlServices services) => new PortScanDetection(policy, services.Outcome);
}
