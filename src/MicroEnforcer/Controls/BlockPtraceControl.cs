using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The block-ptrace section (<c>spec.blockPtrace</c>) and syscalls; see <see cref="PtraceGuard"/>.</summary>
internal sealed class BlockPtraceControl : ControlDefinition<BlockPtracePolicy>
{
    public override string Name => "blockPtrace";

    public override string Title => "block ptrace";

    public override string AuditName => PtraceGuard.ControlName;

    // Off unless asked for: gdb, strace and profilers that attach need what it refuses.
    protected override BlockPtracePolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        return new BlockPtracePolicy(enabled, mode);
    }

    // ptrace only for the requests that make a tracer (every other request needs one: ESRCH);
    // process_vm_writev always; opens only for writing (O_WRONLY or O_RDWR: a mem file opened
    // read-only cannot be written through), creat always, and openat2 always: its flags are in
    // memory. All are notified in both modes, so that a refusal is reported too: the ptrace and
    // process_vm_writev decisions rest on registers only, which no other thread can change.
    protected override IEnumerable<FilterRule> RulesFor(BlockPtracePolicy policy) =>
    [
        FilterRule.Notify(SyscallTable.Ptrace, ArgumentTest.OneOf(0, PtraceGuard.PTRACE_ATTACH, PtraceGuard.PTRACE_SEIZE)),
        FilterRule.Notify(SyscallTable.Ptrace, ArgumentTest.EqualTo(0, PtraceGuard.PTRACE_TRACEME)),
        FilterRule.Notify(SyscallTable.ProcessVmWritev),
        FilterRule.Notify(SyscallTable.Open, ArgumentTest.AnyBitSet(1, Libc.O_WRONLY | Libc.O_RDWR)),
        FilterRule.Notify(SyscallTable.OpenAt, ArgumentTest.AnyBitSet(2, Libc.O_WRONLY | Libc.O_RDWR)),
        FilterRule.Notify(SyscallTable.Creat),
        FilterRule.Notify(SyscallTable.OpenAt2),
    ];

    protected override IControl CreateFor(BlockPtracePolicy policy, ControlServices services) => new PtraceGuard(policy);
}
