using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>File Integrity Monitoring's section (<c>spec.fileIntegrityMonitoring</c>) and syscalls; see <see cref="FileIntegrityMonitor"/>.</summary>
internal sealed class FileIntegrityControl : ControlDefinition<FileIntegrityPolicy>
{
    public const int DefaultMaxHashBytes = 1 << 20;

    // The "before" hash is taken on the notify loop while the caller waits: 16 MiB of managed
    // SHA-256 is about a tenth of a second, the most one watched change may hold everything up.
    public const int MaxMaxHashBytes = 16 << 20;

    public override string Name => "fileIntegrityMonitoring";

    public override string Title => "file integrity monitoring";

    public override string AuditName => FileIntegrityMonitor.ControlName;

    // Off unless asked for: it notifies every open for writing and every change of a directory
    // entry, a cost a workload that writes many files pays (docs/cost.md).
    protected override FileIntegrityPolicy Read(SectionReader section)
    {
        bool enabled = section.AuditOnlySwitch(enabledByDefault: false);
        PolicyList<PathGlob> paths = section.FilePaths("paths");
        int maxHashBytes = section.Int("maxHashBytes", 0, MaxMaxHashBytes, DefaultMaxHashBytes);
        return new FileIntegrityPolicy(enabled, paths.Count == 0 ? WatchedPaths.DefaultGlobs : paths, maxHashBytes);
    }

    protected override string DescribePolicy(FileIntegrityPolicy policy) =>
        $"{policy.Paths.Count} watched path(s), hashing files up to {policy.MaxHashBytes} bytes";

    // Opens only when they can change a file, and every other call that changes a file or a
    // directory entry (see FileCallRules).
    protected override IEnumerable<FilterRule> RulesFor(FileIntegrityPolicy policy) =>
        [.. FileCallRules.ChangingOpens, .. FileCallRules.Truncates, .. FileCallRules.EntryChanges, .. FileCallRules.AttributeChanges];

    protected override IControl CreateFor(FileIntegrityPolicy policy, ControlServices services) => new FileIntegrityMonitor(policy, services.Outcome);
}
