using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>File Block's section (<c>spec.fileBlock</c>); see <see cref="FileBlock"/>.</summary>
internal sealed class FileBlockControl : ControlDefinition<FileBlockPolicy>
{
    public override string Name => "fileBlock";

    public override string Title => "file block";

    public override string AuditName => FileBlock.ControlName;

    protected override FileBlockPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        FallbackMode fallback = section.Fallback();
        PolicyList<FileEntry> files = section.FileEntries("files");
        return new FileBlockPolicy(enabled && files.Count > 0, mode, fallback, files);
    }

    protected override string DescribePolicy(FileBlockPolicy policy) =>
        $"{(policy.Mode == EnforcementMode.Enforce ? "blocks" : "reports")} {policy.Files.Count} path{(policy.Files.Count == 1 ? "" : "s")}: "
        + string.Join(", ", policy.Files.Take(3)) + (policy.Files.Count > 3 ? ", ..." : "");

    // Execs of a blocked file are judged like every exec (and refused by Landlock besides).
    protected override IEnumerable<FilterRule> RulesFor(FileBlockPolicy policy) =>
        policy.Files.Any(entry => (entry.Access & FileAccessKind.Exec) != 0) ? ExecRules : [];

    protected override IControl CreateFor(FileBlockPolicy policy, ControlServices services) => new FileBlock(policy, services.Log);
}
