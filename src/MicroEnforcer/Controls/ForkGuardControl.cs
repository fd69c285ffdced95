using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>Fork Guard's section (<c>spec.forkGuard</c>) and syscalls; see <see cref="ForkGuard"/>.</summary>
internal sealed class ForkGuardControl : ControlDefinition<ForkGuardPolicy>
{
    private const uint CLONE_THREAD = 0x10000;

    public override string Name => "forkGuard";

    public override string Title => "fork guard";

    public override string AuditName => ForkGuard.ControlName;

    protected override ForkGuardPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches();
        int maxProcesses = section.Int("maxProcesses", 1, ForkGuardPolicy.MaxProcessesLimit, ForkGuardPolicy.DefaultMaxProcesses);
        return new ForkGuardPolicy(enabled, mode, maxProcesses);
    }

    protected override string DescribePolicy(ForkGuardPolicy policy) => $"max {policy.MaxProcesses} processes";

    // Threads are not processes: clone with CLONE_THREAD never reaches PID 1. clone3 keeps its
    // flags in memory, out of the filter's reach: ENOSYS makes libc fall back to clone.
    protected override IEnumerable<FilterRule> RulesFor(ForkGuardPolicy policy) =>
    [
        FilterRule.Notify(SyscallTable.Fork), FilterRule.Notify(SyscallTable.Vfork),
        FilterRule.Notify(SyscallTable.Clone, ArgumentTest.BitsClear(0, CLONE_THREAD)),
        FilterRule.Errno(SyscallTable.Clone3, Libc.ENOSYS),
    ];

    protected override IControl CreateFor(ForkGuardPolicy policy, ControlServices services) =>
        new ForkGuard(policy, services.Audit, services.CountProcesses, services.ReapNow);
}
