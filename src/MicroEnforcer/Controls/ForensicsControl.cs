using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The Forensics section (<c>spec.forensics</c>) and syscalls; see <see cref="Forensics"/>.</summary>
internal sealed class ForensicsControl : ControlDefinition<ForensicsPolicy>
{
    public const int DefaultAggregateAfter = 20;
    public const int DefaultIntervalSeconds = 5;
    public const int DefaultMaxTrackedProcesses = 4096;

    public override string Name => "forensics";

    public override string Title => "forensics";

    public override string AuditName => Forensics.ControlName;

    // Off unless asked for: every exec is then traced, and every connect, listen and accept makes
    // a round trip to PID 1 (docs/cost.md).
    protected override ForensicsPolicy Read(SectionReader section)
    {
        bool enabled = section.AuditOnlySwitch(enabledByDefault: false);
        return new ForensicsPolicy(enabled, section.Int("aggregateAfter", 0, 10_000, DefaultAggregateAfter),
            section.Int("intervalSeconds", 1, 3600, DefaultIntervalSeconds), section.Int("maxTrackedProcesses", 16, 65_536, DefaultMaxTrackedProcesses));
    }

    protected override string DescribePolicy(ForensicsPolicy policy) =>
        $"connections one by one up to {policy.AggregateAfter} per {policy.IntervalSeconds} s and key, then counted";

    // Execs (process starts), the network gate's calls with listen (connects, sends, listens), and accepts.
    protected override IEnumerable<FilterRule> RulesFor(ForensicsPolicy policy) =>
    [
        .. ExecRules,
        .. NetworkGate.Rules(listens: true, sendsWithoutAddress: false),
        FilterRule.Notify(SyscallTable.Accept),
        FilterRule.Notify(SyscallTable.Accept4),
    ];

    protected override IControl CreateFor(ForensicsPolicy policy, ControlServices services) => new Forensics(policy, services.Audit, services.Log);
}
