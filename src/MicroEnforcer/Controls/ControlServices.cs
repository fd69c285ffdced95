using Microsoft.Extensions.Logging;
using MicroEnforcer.Audit;
using MicroEnforcer.Baseline;

namespace MicroEnforcer.Controls;

/// <summary>What the running controls are made with (see <see cref="ControlDefinition.Create"/>).</summary>
/// <param name="Audit">Where events go; controls report through <paramref name="Outcome"/>, except Fork Guard, which aggregates.</param>
/// <param name="Outcome">The one step from a finding to errno or kill plus the audit event.</param>
/// <param name="Baseline">The image baseline, recorded behind the workload.</param>
/// <param name="Launcher">The enforcer's own binary as it was at start, if readable.</param>
/// <param name="CountProcesses">Lists the processes of the pid namespace.</param>
/// <param name="ReapNow">Reaps PID 1's zombies now; returns how many were reaped in all so far.</param>
/// <param name="Log">PID 1's log, for what a control says at start (a warning, a fallback).</param>
internal sealed record ControlServices(AuditLog Audit, Outcome Outcome, BaselineRecording Baseline, FileSignature? Launcher,
    Func<int> CountProcesses, Func<int> ReapNow, ILogger Log)
{
    private DnsInterception? _dns;
    private NetworkWorkers? _networkWorkers;

    /// <summary>The one DNS interception that every control with a domain list shares (see <see cref="DnsInterception"/>).</summary>
    public DnsInterception Dns => _dns ??= new DnsInterception(Outcome, Log);

    /// <summary>The threads that perform the network gate's calls that may wait; one pool for every gate a policy reload makes.</summary>
    public NetworkWorkers NetworkWorkers => _networkWorkers ??= new NetworkWorkers();
}
