using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Forensics: every process start and exit, outbound connection, accepted inbound connection and
/// listening socket is reported; connections under load are aggregated. Audit only, off by default.
/// </summary>
/// <param name="AggregateAfter">Per aggregation key and interval, how many connections are reported one by one; the rest are counted into one event.</param>
/// <param name="IntervalSeconds">The aggregation interval.</param>
/// <param name="MaxTrackedProcesses">How many live processes are watched for their exit at once.</param>
public sealed record ForensicsPolicy(bool Enabled, int AggregateAfter, int IntervalSeconds, int MaxTrackedProcesses)
    : ControlPolicy(Enabled, EnforcementMode.Audit);

/// <summary>The Forensics policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ForensicsPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ForensicsPolicy Forensics => policy.Get<ForensicsPolicy>();
    }
}
