using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// The filter rules of the controls that look at file calls (File Integrity Monitoring, and the
/// reports of File Block and Read-Only), in groups, each rule with the kinds it hands PID 1.
/// open's and openat's flags are in registers, so the filter can pass an open that cannot change
/// a file; openat2's are in memory, so every openat2 is notified; open_by_handle_at only for
/// writing (it needs CAP_DAC_READ_SEARCH anyway). A rule set's rules are added once.
/// </summary>
internal static class FileCallRules
{
    private const uint OpenChanges = Libc.O_WRONLY | Libc.O_RDWR | Libc.O_CREAT | Libc.O_TRUNC;

    /// <summary>Every open, whatever its flags.</summary>
    public static IReadOnlyList<FilterRule> AllOpens { get; } =
    [
        FilterRule.Notify(SyscallTable.Open), FilterRule.Notify(SyscallTable.OpenAt), FilterRule.Notify(SyscallTable.OpenAt2),
        FilterRule.Notify(SyscallTable.Creat), FilterRule.Notify(SyscallTable.OpenByHandleAt),
    ];

    /// <summary>The opens that can change a file: for writing, creating or truncating.</summary>
    public static IReadOnlyList<FilterRule> ChangingOpens { get; } =
    [
        FilterRule.Notify(SyscallTable.Open, ArgumentTest.AnyBitSet(1, OpenChanges)),
        FilterRule.Notify(SyscallTable.OpenAt, ArgumentTest.AnyBitSet(2, OpenChanges)),
        FilterRule.Notify(SyscallTable.OpenAt2), FilterRule.Notify(SyscallTable.Creat),
        FilterRule.Notify(SyscallTable.OpenByHandleAt, ArgumentTest.AnyBitSet(2, OpenChanges)),
    ];

    public static IReadOnlyList<SyscallKind> OpenKinds { get; } =
        [SyscallKind.Open, SyscallKind.OpenAt, SyscallKind.OpenAt2, SyscallKind.Creat, SyscallKind.OpenByHandleAt];

    /// <summary>truncate and ftruncate.</summary>
    public static IReadOnlyList<FilterRule> Truncates { get; } = [FilterRule.Notify(SyscallTable.Truncate), FilterRule.Notify(SyscallTable.Ftruncate)];

    public static IReadOnlyList<SyscallKind> TruncateKinds { get; } = [SyscallKind.Truncate, SyscallKind.Ftruncate];

    /// <summary>The calls that create, remove or rename a directory entry.</summary>
    public static IReadOnlyList<FilterRule> EntryChanges { get; } =
    [
        FilterRule.Notify(SyscallTable.Unlink), FilterRule.Notify(SyscallTable.UnlinkAt), FilterRule.Notify(SyscallTable.Rmdir),
        FilterRule.Notify(SyscallTable.Rename), FilterRule.Notify(SyscallTable.RenameAt), FilterRule.Notify(SyscallTable.RenameAt2),
        FilterRule.Notify(SyscallTable.Link), FilterRule.Notify(SyscallTable.LinkAt),
        FilterRule.Notify(SyscallTable.Symlink), FilterRule.Notify(SyscallTable.SymlinkAt),
        FilterRule.Notify(SyscallTable.Mkdir), FilterRule.Notify(SyscallTable.MkdirAt),
        FilterRule.Notify(SyscallTable.Mknod), FilterRule.Notify(SyscallTable.MknodAt),
    ];

    public static IReadOnlyList<SyscallKind> EntryChangeKinds { get; } =
    [
        SyscallKind.Unlink, SyscallKind.UnlinkAt, SyscallKind.Rmdir, SyscallKind.Rename, SyscallKind.RenameAt, SyscallKind.RenameAt2,
        SyscallKind.Link, SyscallKind.LinkAt, SyscallKind.Symlink, SyscallKind.SymlinkAt, SyscallKind.Mkdir, SyscallKind.MkdirAt,
        SyscallKind.Mknod, SyscallKind.MknodAt,
    ];

    /// <summary>The calls that change a file's mode, owner or extended attributes.</summary>
    public static IReadOnlyList<FilterRule> AttributeChanges { get; } =
    [
        FilterRule.Notify(SyscallTable.Chmod), FilterRule.Notify(SyscallTable.Fchmod),
        FilterRule.Notify(SyscallTable.FchmodAt), FilterRule.Notify(SyscallTable.FchmodAt2),
        FilterRule.Notify(SyscallTable.Chown), FilterRule.Notify(SyscallTable.Lchown),
        FilterRule.Notify(SyscallTable.Fchown), FilterRule.Notify(SyscallTable.FchownAt),
        FilterRule.Notify(SyscallTable.SetXattr), FilterRule.Notify(SyscallTable.LsetXattr),
        FilterRule.Notify(SyscallTable.FsetXattr), FilterRule.Notify(SyscallTable.SetXattrAt),
        FilterRule.Notify(SyscallTable.RemoveXattr), FilterRule.Notify(SyscallTable.LremoveXattr),
        FilterRule.Notify(SyscallTable.FremoveXattr), FilterRule.Notify(SyscallTable.RemoveXattrAt),
    ];

    public static IReadOnlyList<SyscallKind> AttributeChangeKinds { get; } =
    [
        SyscallKind.Chmod, SyscallKind.Fchmod, SyscallKind.FchmodAt, SyscallKind.FchmodAt2, SyscallKind.Chown, SyscallKind.Lchown,
        SyscallKind.Fchown, SyscallKind.FchownAt, SyscallKind.SetXattr, SyscallKind.LsetXattr, SyscallKind.FsetXattr, SyscallKind.SetXattrAt,
        SyscallKind.RemoveXattr, SyscallKind.LremoveXattr, SyscallKind.FremoveXattr, SyscallKind.RemoveXattrAt,
    ];
}
