using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Everything the enforcer knows of one control, in one type: its policy section (field name,
/// fields, defaults and validation, through <see cref="PolicySection"/>), its audit name, the
/// syscalls and argument tests it needs the filter to notify or refuse, and the running control
/// it becomes (whose interfaces say where it acts: see <see cref="IControl"/>).
/// <see cref="ControlRegistry"/> lists them; the policy binder, the filter builder, the notify
/// loop's dispatch, the exec decision, <c>policy validate</c> and the start-up log iterate it.
/// </summary>
internal abstract class ControlDefinition : PolicySection
{
    /// <summary>The audit event's <c>control</c>.</summary>
    public abstract string AuditName { get; }

    /// <summary>The filter rules an enabled control needs (execs: see <see cref="ExecRules"/>). Rules several controls give are added once.</summary>
    public abstract IEnumerable<FilterRule> Rules(ControlPolicy policy);

    /// <summary>The running control for an enabled policy.</summary>
    public abstract IControl Create(ControlPolicy policy, ControlServices services);

    /// <summary>
    /// Whether the running control is an <see cref="ILaunchControl"/>: what it does is done to a
    /// process before it runs (Landlock rules, capabilities dropped), so the workload and its
    /// sessions keep what they were launched with, and a policy reload cannot change it live.
    /// </summary>
    public virtual bool ActsAtLaunch => false;

    /// <summary>
    /// The files an enabled policy's values were read from besides the policy file (list files):
    /// a policy reload reads them again, so they too must be out of the workload's reach.
    /// </summary>
    public virtual IEnumerable<string> FilesRead(ControlPolicy policy) => [];

    /// <summary>
    /// The control's objection to the workload's entrypoint, resolved as execvp would resolve it,
    /// before anything is spawned (see Cli.EntrypointCheck); null: none, or the control
    /// does not judge entrypoints.
    /// </summary>
    public virtual ControlFinding? CheckEntrypoint(ControlPolicy policy, ExecTarget entrypoint) => null;

    /// <summary>What every control that judges execs needs: execve and execveat reach PID 1.</summary>
    protected static IEnumerable<FilterRule> ExecRules => [FilterRule.Notify(SyscallTable.Execve), FilterRule.Notify(SyscallTable.Execveat)];
}

/// <summary>A control definition typed by its policy record.</summary>
internal abstract class ControlDefinition<TPolicy> : ControlDefinition
    where TPolicy : ControlPolicy
{
    public sealed override ControlPolicy Bind(SectionReader section) => Read(section);

    public sealed override string? Describe(ControlPolicy policy) => DescribePolicy((TPolicy)policy);

    public sealed override IEnumerable<FilterRule> Rules(ControlPolicy policy) => RulesFor((TPolicy)policy);

    public sealed override IControl Create(ControlPolicy policy, ControlServices services) => CreateFor((TPolicy)policy, services);

    protected abstract TPolicy Read(SectionReader section);

    public sealed override ControlFinding? CheckEntrypoint(ControlPolicy policy, ExecTarget entrypoint) => CheckEntrypointFor((TPolicy)policy, entrypoint);

    protected virtual string? DescribePolicy(TPolicy policy) => null;

    protected virtual ControlFinding? CheckEntrypointFor(TPolicy policy, ExecTarget entrypoint) => null;

    protected abstract IEnumerable<FilterRule> RulesFor(TPolicy policy);

    protected abstract IControl CreateFor(TPolicy policy, ControlServices services);
}
