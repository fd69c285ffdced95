using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Executables Allowed's section (<c>spec.executablesAllowed</c>); see <see cref="ExecutablesAllowed"/>.</summary>
internal sealed class ExecutablesAllowedControl : ControlDefinition<ExecutablesAllowedPolicy>
{
    public override string Name => "executablesAllowed";

    public override string Title => "executables allowed";

    public override string AuditName => ExecutablesAllowed.ControlName;

    // Off unless the policy turns it on: a list of what may run is the workload's own to write.
    protected override ExecutablesAllowedPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        return new ExecutablesAllowedPolicy(enabled, mode, section.Executables("executables"));
    }

    protected override string DescribePolicy(ExecutablesAllowedPolicy policy) =>
        policy.Executables.Count == 0 ? "no list: all may run" : $"{policy.Executables.Count} executable(s)";

    protected override IEnumerable<FilterRule> RulesFor(ExecutablesAllowedPolicy policy) => ExecRules;

    protected override IControl CreateFor(ExecutablesAllowedPolicy policy, ControlServices services) =>
        new ExecutablesAllowed(policy, services.Launcher);

    // The entrypoint is judged like any exec of it, before anything is spawned.
    protected override ControlFinding? CheckEntrypointFor(ExecutablesAllowedPolicy policy, ExecTarget entrypoint) =>
        new ExecutablesAllowed(policy, launcher: null).Evaluate(entrypoint);
}
