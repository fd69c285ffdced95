using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Read-Only's section (<c>spec.readOnly</c>); see <see cref="ReadOnlyPaths"/>.</summary>
internal sealed class ReadOnlyControl : ControlDefinition<ReadOnlyPolicy>
{
    public override string Name => "readOnly";

    public override string Title => "read-only paths";

    public override string AuditName => ReadOnlyPaths.ControlName;

    protected override ReadOnlyPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        FallbackMode fallback = section.Fallback();
        PolicyList<PathGlob> paths = section.FilePaths("paths");
        PolicyList<PathGlob> exceptions = section.FilePaths("exceptions");
        bool reportAttempts = section.Bool("reportAttempts", true);
        return new ReadOnlyPolicy(enabled && paths.Count > 0, mode, fallback, paths, exceptions, reportAttempts);
    }

    protected override string DescribePolicy(ReadOnlyPolicy policy) =>
        $"{(policy.Mode == EnforcementMode.Enforce ? "keeps" : "reports changes to")} {string.Join(", ", policy.Paths.Take(3).Select(p => p.Pattern))}"
        + (policy.Paths.Count > 3 ? ", ..." : "") + (policy.Mode == EnforcementMode.Enforce ? " read-only" : "")
        + (policy.Exceptions.Count > 0 ? $" (except {string.Join(", ", policy.Exceptions.Select(p => p.Pattern))})" : "");

    // Opens for writing and changes of directory entries are notified only to be reported (audit
    // mode, or reportAttempts): in enforce mode the kernel refuses them either way. Attribute
    // changes always: Landlock has no right for them, the guard decides them (and performs them).
    protected override IEnumerable<FilterRule> RulesFor(ReadOnlyPolicy policy) =>
        FileRestrictions.Reports(policy.Mode, policy.ReportAttempts, policy.Fallback)
            ? [.. FileCallRules.ChangingOpens, .. FileCallRules.Truncates, .. FileCallRules.EntryChanges, .. AttributeChangeGuard.Rules]
            : AttributeChangeGuard.Rules;

    public override bool ActsAtLaunch => true;

    protected override IControl CreateFor(ReadOnlyPolicy policy, ControlServices services) => new ReadOnlyPaths(policy, services.Outcome, services.Log);
}
