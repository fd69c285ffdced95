using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Fileless execution's section (<c>spec.blockFilelessExec</c>); see <see cref="FilelessExec"/>.</summary>
internal sealed class FilelessExecControl : ControlDefinition<FilelessExecPolicy>
{
    public override string Name => "blockFilelessExec";

    public override string Title => "fileless exec";

    public override string AuditName => FilelessExec.ControlName;

    protected override FilelessExecPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches();
        return new FilelessExecPolicy(enabled, mode);
    }

    protected override IEnumerable<FilterRule> RulesFor(FilelessExecPolicy policy) => ExecRules;

    protected override IControl CreateFor(FilelessExecPolicy policy, ControlServices services) => new FilelessExec(policy);
}
