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
        bool reportAttempts = section.Bool("reportAttempts", true);
        return new FileBlockPolicy(enabled && files.Count > 0, mode, fallback, files, reportAttempts);
    }

    protected override string DescribePolicy(FileBlockPolicy policy) =>
        $"{(policy.Mode == EnforcementMode.Enforce ? "blocks" : "reports")} {policy.Files.Count} path{(policy.Files.Count == 1 ? "" : "s")}: "
        + string.Join(", ", policy.Files.Take(3)) + (policy.Files.Count > 3 ? ", ..." : "");

    // Execs of a blocked file are judged like every exec (and refused by Landlock besides). The
    // opens and truncates are notified only to be reported (audit mode, or reportAttempts): in
    // enforce mode the kernel refuses them whether PID 1 hears of them or not.
    protected override IEnumerable<FilterRule> RulesFor(FileBlockPolicy policy)
    {
        FileAccessKind blocked = policy.Files.Aggregate(FileAccessKind.None, (all, entry) => all | entry.Access);
        var rules = new List<FilterRule>();
        if ((blocked & FileAccessKind.Exec) != 0)
            rules.AddRange(ExecRules);
        if (FileRestrictions.Reports(policy.Mode, policy.ReportAttempts, policy.Fallback))
        {
            if ((blocked & FileAccessKind.Read) != 0)
                rules.AddRange(FileCallRules.AllOpens);
            else if ((blocked & FileAccessKind.Write) != 0)
                rules.AddRange(FileCallRules.ChangingOpens);
            if ((blocked & FileAccessKind.Write) != 0)
                rules.AddRange(FileCallRules.Truncates);
        }
        return rules;
    }

    public override bool ActsAtLaunch => true;

    protected override IControl CreateFor(FileBlockPolicy policy, ControlServices services) => new FileBlock(policy, services.Log);
}
