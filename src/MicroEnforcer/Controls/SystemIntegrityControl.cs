using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>System Integrity Monitoring's section (<c>spec.systemIntegrityMonitoring</c>) and syscalls; see <see cref="SystemIntegrityMonitor"/>.</summary>
internal sealed class SystemIntegrityControl : ControlDefinition<SystemIntegrityPolicy>
{
    private const uint FSCONFIG_CMD_RECONFIGURE = 7;

    public override string Name => "systemIntegrityMonitoring";

    public override string Title => "system integrity monitoring";

    public override string AuditName => SystemIntegrityMonitor.ControlName;

    // Off unless asked for, as in Aqua's policy: it lengthens every process's filter (the calls
    // are rare, so notifying them costs nothing measurable; see docs/cost.md), and a policy that
    // does not name it keeps the filter it had.
    protected override SystemIntegrityPolicy Read(SectionReader section) => new(section.AuditOnlySwitch(enabledByDefault: false));

    // Every entry point of each monitored call. fsconfig only for a reconfigure (the new mount
    // API's remount); its other commands build a filesystem context that changes nothing until
    // move_mount, which is notified. fsopen, fsmount, fspick and open_tree make detached objects.
    protected override IEnumerable<FilterRule> RulesFor(SystemIntegrityPolicy policy) =>
    [
        FilterRule.Notify(SyscallTable.SetTimeOfDay), FilterRule.Notify(SyscallTable.Stime),
        FilterRule.Notify(SyscallTable.ClockSettime), FilterRule.Notify(SyscallTable.ClockSettime64),
        FilterRule.Notify(SyscallTable.Adjtimex), FilterRule.Notify(SyscallTable.ClockAdjtime), FilterRule.Notify(SyscallTable.ClockAdjtime64),
        FilterRule.Notify(SyscallTable.SetHostName), FilterRule.Notify(SyscallTable.SetDomainName),
        FilterRule.Notify(SyscallTable.Mount), FilterRule.Notify(SyscallTable.Umount2), FilterRule.Notify(SyscallTable.OldUmount),
        FilterRule.Notify(SyscallTable.PivotRoot), FilterRule.Notify(SyscallTable.MoveMount), FilterRule.Notify(SyscallTable.MountSetattr),
        FilterRule.Notify(SyscallTable.Fsconfig, ArgumentTest.EqualTo(1, FSCONFIG_CMD_RECONFIGURE)),
        FilterRule.Notify(SyscallTable.InitModule), FilterRule.Notify(SyscallTable.FinitModule), FilterRule.Notify(SyscallTable.DeleteModule),
        FilterRule.Notify(SyscallTable.Reboot), FilterRule.Notify(SyscallTable.SwapOn), FilterRule.Notify(SyscallTable.SwapOff),
        FilterRule.Notify(SyscallTable.Acct), FilterRule.Notify(SyscallTable.KexecLoad), FilterRule.Notify(SyscallTable.KexecFileLoad),
    ];

    protected override IControl CreateFor(SystemIntegrityPolicy policy, ControlServices services) => new SystemIntegrityMonitor(services.Outcome);
}
