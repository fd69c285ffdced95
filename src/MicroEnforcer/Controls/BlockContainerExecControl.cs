using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Block container exec's section (<c>spec.blockContainerExec</c>); see <see cref="BlockContainerExec"/>.</summary>
internal sealed class BlockContainerExecControl : ControlDefinition<BlockContainerExecPolicy>
{
    public override string Name => "blockContainerExec";

    public override string Title => "block container exec";

    public override string AuditName => BlockContainerExec.ControlName;

    // Off unless asked for: `kubectl exec` is how many teams debug, and exec probes are sessions too.
    protected override BlockContainerExecPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        return new BlockContainerExecPolicy(enabled, mode, section.Globs("allowedCommands"));
    }

    protected override string DescribePolicy(BlockContainerExecPolicy policy) => $"{policy.AllowedCommands.Count} allowed command(s)";

    // Sessions are found by the session watcher and decided by the tracer and the session
    // server: nothing of the workload's own needs to reach PID 1 for this control.
    protected override IEnumerable<FilterRule> RulesFor(BlockContainerExecPolicy policy) => [];

    protected override IControl CreateFor(BlockContainerExecPolicy policy, ControlServices services) => new BlockContainerExec(policy);
}
