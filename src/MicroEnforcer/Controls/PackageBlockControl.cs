using MicroEnforcer.Packages;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Package Block's section (<c>spec.packageBlock</c>); see <see cref="PackageBlock"/>.</summary>
internal sealed class PackageBlockControl : ControlDefinition<PackageBlockPolicy>
{
    public override string Name => "packageBlock";

    public override string Title => "package block";

    public override string AuditName => PackageBlock.ControlName;

    // Off unless the policy turns it on. Whether a name is installed is known only in the image,
    // at start (a warning there); here only its syntax.
    protected override PackageBlockPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        FallbackMode fallback = section.Fallback();
        PolicyList<string> packages = section.List<string>("packages", "a list of package names (e.g. [netcat-openbsd, curl])",
            "a package name", static (string text, out string name) =>
            {
                name = text;
                return PackageName.Check(text);
            }) ?? PolicyList<string>.Empty;
        return new PackageBlockPolicy(enabled && packages.Count > 0, mode, fallback, packages);
    }

    protected override string DescribePolicy(PackageBlockPolicy policy) => $"{policy.Packages.Count} package(s)";

    protected override IEnumerable<FilterRule> RulesFor(PackageBlockPolicy policy) => ExecRules;

    public override bool ActsAtLaunch => true;

    protected override IControl CreateFor(PackageBlockPolicy policy, ControlServices services) =>
        PackageBlock.Load(policy, "/", services.Log);
}
