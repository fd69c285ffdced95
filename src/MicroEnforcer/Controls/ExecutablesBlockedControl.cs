using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Executables Blocked's section (<c>spec.executablesBlocked</c>); see <see cref="ExecutablesBlocked"/>.</summary>
internal sealed class ExecutablesBlockedControl : ControlDefinition<ExecutablesBlockedPolicy>
{
    public override string Name => "executablesBlocked";

    public override string Title => "executables blocked";

    public override string AuditName => ExecutablesBlocked.ControlName;

    // Off unless the policy turns it on, so existing policies see no change.
    protected override ExecutablesBlockedPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        return new ExecutablesBlockedPolicy(enabled, mode, section.Executables("executables"));
    }

    protected override string DescribePolicy(ExecutablesBlockedPolicy policy) => $"{policy.Executables.Count} executable(s)";

    protected override IEnumerable<FilterRule> RulesFor(ExecutablesBlockedPolicy policy) => ExecRules;

    protected override IControl CreateFor(ExecutablesBlockedPolicy policy, ControlServices services) => new ExecutablesBlocked(policy);

    // A blocked entrypoint would be refused at its own exec: say so before anything is spawned.
    protected override ControlFinding? CheckEntrypointFor(ExecutablesBlockedPolicy policy, ExecTarget entrypoint) =>
        new ExecutablesBlocked(policy).Evaluate(entrypoint);
}
