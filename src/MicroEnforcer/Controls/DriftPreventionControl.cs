using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Drift prevention's section (<c>spec.driftPrevention</c>) and syscalls; see <see cref="DriftPrevention"/>.</summary>
internal sealed class DriftPreventionControl : ControlDefinition<DriftPreventionPolicy>
{
    public override string Name => "driftPrevention";

    public override string Title => "drift prevention";

    public override string AuditName => DriftPrevention.ControlName;

    protected override DriftPreventionPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches();
        return new DriftPreventionPolicy(enabled, mode, section.Globs("allowedExecutables"));
    }

    protected override string DescribePolicy(DriftPreventionPolicy policy) => $"{policy.AllowedExecutables.Count} allowed pattern(s)";

    // Execs, and the calls that can set an mtime back: while the baseline's hashing runs, an
    // image file's unchanged mtime vouches for its content, and they wait (see ContentStamps).
    protected override IEnumerable<FilterRule> RulesFor(DriftPreventionPolicy policy) =>
    [
        .. ExecRules,
        FilterRule.Notify(SyscallTable.Utime), FilterRule.Notify(SyscallTable.Utimes),
        FilterRule.Notify(SyscallTable.Futimesat), FilterRule.Notify(SyscallTable.Utimensat),
    ];

    protected override IControl CreateFor(DriftPreventionPolicy policy, ControlServices services) =>
        new DriftPrevention(policy, services.Baseline, services.Launcher);
}
