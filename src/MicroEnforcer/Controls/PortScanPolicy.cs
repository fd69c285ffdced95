using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Port Scanning Detection: a process (with its child processes) that tries
/// <see cref="DistinctPorts"/> ports of one host, or one port on <see cref="DistinctHosts"/>
/// hosts, within <see cref="Window"/> is reported, once per window. Audit only: its mode is
/// always audit. Off by default. See <see cref="PortScanDetection"/> for what counts as a try.
/// </summary>
/// <param name="Window">The sliding window the distinct targets are counted over.</param>
/// <param name="DistinctPorts">Distinct destination ports of one host that make a port scan.</param>
/// <param name="DistinctHosts">Distinct hosts tried on one destination port that make a host sweep.</param>
public sealed record PortScanPolicy(bool Enabled, TimeSpan Window, int DistinctPorts, int DistinctHosts)
    : ControlPolicy(Enabled, EnforcementMode.Audit)
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    public const int DefaultDistinctPorts = 20;

    public const int DefaultDistinctHosts = 50;
}

/// <summary>The Port Scanning Detection policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class PortScanPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public PortScanPolicy PortScanDetection => policy.Get<PortScanPolicy>();
    }
}
