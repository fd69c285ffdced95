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

    // Opens only when they can change a file: open's and openat's flags are in registers, so the
    // filter passes a read-only open without a notification. openat2's flags are in memory: every
    // one is notified. open_by_handle_at only for writing (it needs CAP_DAC_READ_SEARCH anyway).
    // Every other call that changes a file or a directory entry, always.
    protected override IEnumerable<FilterRule> RulesFor(FileIntegrityPolicy policy) =>
    [
        FilterRule.Notify(SyscallTable.Open, ArgumentTest.AnyBitSet(1, OpenChanges)),
        FilterRule.Notify(SyscallTable.OpenAt, ArgumentTest.AnyBitSet(2, OpenChanges)),
        FilterRule.Notify(SyscallTable.OpenAt2), FilterRule.Notify(SyscallTable.Creat),
        FilterRule.Notify(SyscallTable.OpenByHandleAt, ArgumentTest.AnyBitSet(2, OpenChanges)),
        FilterRule.Notify(SyscallTable.Truncate), FilterRule.Notify(SyscallTable.Ftruncate),
        FilterRule.Notify(SyscallTable.Unlink), FilterRule.Notify(SyscallTable.UnlinkAt), FilterRule.Notify(SyscallTable.Rmdir),
        FilterRule.Notify(SyscallTable.Rename), FilterRule.Notify(SyscallTable.RenameAt), FilterRule.Notify(SyscallTable.RenameAt2),
        FilterRule.Notify(SyscallTable.Link), FilterRule.Notify(SyscallTable.LinkAt),
        FilterRule.Notify(SyscallTable.Symlink), FilterRule.Notify(SyscallTable.SymlinkAt),
        FilterRule.Notify(SyscallTable.Mkdir), FilterRule.Notify(SyscallTable.MkdirAt),
        FilterRule.Notify(SyscallTable.Mknod), FilterRule.Notify(SyscallTable.MknodAt),
        FilterRule.Notify(SyscallTable.Chmod), FilterRule.Notify(SyscallTable.Fchmod),
        FilterRule.Notify(SyscallTable.FchmodAt), FilterRule.Notify(SyscallTable.FchmodAt2),
        FilterRule.Notify(SyscallTable.Chown), FilterRule.Notify(SyscallTable.Lchown),
        FilterRule.Notify(SyscallTable.Fchown), FilterRule.Notify(SyscallTable.FchownAt),
        FilterRule.Notify(SyscallTable.SetXattr), FilterRule.Notify(SyscallTable.LsetXattr),
        FilterRule.Notify(SyscallTable.FsetXattr), FilterRule.Notify(SyscallTable.SetXattrAt),
        FilterRule.Notify(SyscallTable.RemoveXattr), FilterRule.Notify(SyscallTable.LremoveXattr),
        FilterRule.Notify(SyscallTable.FremoveXattr), FilterRule.Notify(SyscallTable.RemoveXattrAt),
    ];

    private const uint OpenChanges = Libc.O_WRONLY | Libc.O_RDWR | Libc.O_CREAT | Libc.O_TRUNC;

    protected override IControl CreateFor(FileIntegrityPolicy policy, ControlServices services) => new FileIntegrityMonitor(policy, services.Outcome);
}
