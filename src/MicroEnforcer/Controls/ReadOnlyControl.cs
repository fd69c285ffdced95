using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The Read-Only section (<c>spec.readOnly</c>) and syscalls; see <see cref="ReadOnlyPaths"/>.</summary>
internal sealed class ReadOnlyControl : ControlDefinition<ReadOnlyPolicy>
{
    public override string Name => "readOnly";

    public override string Title => "read-only directories and files";

    public override string AuditName => ReadOnlyPaths.ControlName;

    // Off unless asked for: which paths are read-only is the workload's business.
    protected override ReadOnlyPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        FallbackMode fallback = section.Fallback();
        PolicyList<PathGlob> paths = section.FilePaths("paths");
        PolicyList<PathGlob> exceptions = section.FilePaths("exceptions");
        return new ReadOnlyPolicy(enabled && paths.Count > 0, mode, fallback, paths, exceptions);
    }

    protected override string DescribePolicy(ReadOnlyPolicy policy) => $"{policy.Paths.Count} path(s), {policy.Exceptions.Count} exception(s)";

    protected override IEnumerable<FilterRule> RulesFor(ReadOnlyPolicy policy) => AttributeChangeGuard.Rules;

    protected override IControl CreateFor(ReadOnlyPolicy policy, ControlServices services) => new ReadOnlyPaths(policy, services.Outcome);
}
