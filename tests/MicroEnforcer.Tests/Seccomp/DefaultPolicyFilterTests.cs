using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Xunit;
using static MicroEnforcer.Seccomp.SeccompConstants;
using static MicroEnforcer.Tests.Seccomp.ClassicBpfInterpreter;

namespace MicroEnforcer.Tests.Seccomp;

/// <summary>The filter of the default policy (all four controls), against crafted seccomp_data.</summary>
public sealed class DefaultPolicyFilterTests
{
    private static readonly IReadOnlyList<BpfInstruction> Program = SeccompFilter.Build(ControlRegistry.FilterRules(ControlRegistry.DefaultPolicy()));

    private const uint CLONE_THREAD = 0x10000, CLONE_VM = 0x100, CLONE_VFORK = 0x4000, SIGCHLD = 17;
    private const uint ENOSYS_ACTION = RET_ERRNO | 38;

    public static TheoryData<string, uint, uint, ulong[], uint> Cases => new()
    {
        // ABI, nr, args, expected
        { "x86-64 fork", AUDIT_ARCH_X86_64, 57, [], RET_USER_NOTIF },
        { "x86-64 vfork", AUDIT_ARCH_X86_64, 58, [], RET_USER_NOTIF },
        { "x86-64 clone (fork)", AUDIT_ARCH_X86_64, 56, [SIGCHLD], RET_USER_NOTIF },
        { "x86-64 clone (posix_spawn)", AUDIT_ARCH_X86_64, 56, [CLONE_VM | CLONE_VFORK | SIGCHLD], RET_USER_NOTIF },
        { "x86-64 clone (thread)", AUDIT_ARCH_X86_64, 56, [0x3d0f00], RET_ALLOW },
        { "x86-64 clone (thread bit only)", AUDIT_ARCH_X86_64, 56, [CLONE_THREAD], RET_ALLOW },
        { "x86-64 clone, thread bit in the upper word only", AUDIT_ARCH_X86_64, 56, [(ulong)CLONE_THREAD << 32], RET_USER_NOTIF },
        { "x86-64 clone3", AUDIT_ARCH_X86_64, 435, [], ENOSYS_ACTION },
        { "i386 fork", AUDIT_ARCH_I386, 2, [], RET_USER_NOTIF },
        { "i386 clone (thread)", AUDIT_ARCH_I386, 120, [CLONE_THREAD], RET_ALLOW },
        { "i386 clone (fork)", AUDIT_ARCH_I386, 120, [SIGCHLD], RET_USER_NOTIF },
        { "i386 clone3", AUDIT_ARCH_I386, 435, [], ENOSYS_ACTION },
        { "x32 fork", AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 57, [], RET_USER_NOTIF },
        { "x32 clone3", AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 435, [], ENOSYS_ACTION },
        { "dup2 onto 0", AUDIT_ARCH_X86_64, 33, [5, 0], RET_USER_NOTIF },
        { "dup2 onto 2", AUDIT_ARCH_X86_64, 33, [5, 2], RET_USER_NOTIF },
        { "dup2 onto 3", AUDIT_ARCH_X86_64, 33, [5, 3], RET_ALLOW },
        { "dup2 onto 2 with upper garbage", AUDIT_ARCH_X86_64, 33, [5, 0xffffffff_00000002], RET_USER_NOTIF },
        { "dup2 onto -1", AUDIT_ARCH_X86_64, 33, [5, 0xffffffff], RET_ALLOW },
        { "dup3 onto 1", AUDIT_ARCH_X86_64, 292, [5, 1, 0], RET_USER_NOTIF },
        { "dup3 onto 10", AUDIT_ARCH_X86_64, 292, [5, 10, 0], RET_ALLOW },
        { "dup", AUDIT_ARCH_X86_64, 32, [5], RET_USER_NOTIF },
        { "fcntl F_DUPFD", AUDIT_ARCH_X86_64, 72, [5, 0, 0], RET_USER_NOTIF },
        { "fcntl F_DUPFD_CLOEXEC", AUDIT_ARCH_X86_64, 72, [5, 1030, 3], RET_USER_NOTIF },
        { "fcntl F_GETFL", AUDIT_ARCH_X86_64, 72, [5, 3], RET_ALLOW },
        { "fcntl F_SETFD", AUDIT_ARCH_X86_64, 72, [5, 2, 1], RET_ALLOW },
        { "connect on 0", AUDIT_ARCH_X86_64, 42, [0, 0x1000, 16], RET_USER_NOTIF },
        { "connect on 3 (a relay feeding a shell through a pipe)", AUDIT_ARCH_X86_64, 42, [3, 0x1000, 16], RET_USER_NOTIF },
        { "i386 dup2 onto 1", AUDIT_ARCH_I386, 63, [5, 1], RET_USER_NOTIF },
        { "i386 connect on 0", AUDIT_ARCH_I386, 362, [0, 0x1000, 16], RET_USER_NOTIF },
        { "i386 socketcall connect", AUDIT_ARCH_I386, 102, [3, 0x1000], RET_USER_NOTIF },
        { "i386 socketcall socket", AUDIT_ARCH_I386, 102, [1, 0x1000], RET_ALLOW },
        { "i386 fcntl64 F_DUPFD", AUDIT_ARCH_I386, 221, [5, 0, 0], RET_USER_NOTIF },
        { "x86-64 execve", AUDIT_ARCH_X86_64, 59, [], RET_USER_NOTIF },
        { "x86-64 read", AUDIT_ARCH_X86_64, 0, [], RET_ALLOW },
        { "x86-64 socket", AUDIT_ARCH_X86_64, 41, [2, 1, 0], RET_ALLOW },
        { "x86-64 memfd_create", AUDIT_ARCH_X86_64, 319, [], RET_ALLOW },
        { "x86-64 mmap", AUDIT_ARCH_X86_64, 9, [0, 4096, 5, 1, 3, 0], RET_ALLOW },
        { "x86-64 io_uring_setup", AUDIT_ARCH_X86_64, 425, [8, 0x1000], ENOSYS_ACTION },
        { "x86-64 io_uring_enter", AUDIT_ARCH_X86_64, 426, [3, 1, 0, 0], ENOSYS_ACTION },
        { "x86-64 io_uring_register", AUDIT_ARCH_X86_64, 427, [3, 0, 0, 0], ENOSYS_ACTION },
        { "x32 io_uring_setup", AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 425, [8, 0x1000], ENOSYS_ACTION },
        { "x32 io_uring_enter", AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 426, [3, 1, 0, 0], ENOSYS_ACTION },
        { "i386 io_uring_setup", AUDIT_ARCH_I386, 425, [8, 0x1000], ENOSYS_ACTION },
        { "i386 io_uring_enter", AUDIT_ARCH_I386, 426, [3, 1, 0, 0], ENOSYS_ACTION },
        { "i386 io_uring_register", AUDIT_ARCH_I386, 427, [3, 0, 0, 0], ENOSYS_ACTION },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verdict(string name, uint arch, uint nr, ulong[] args, uint expected)
    {
        Assert.True(expected == Run(Program, SeccompData(arch, nr, args)), name);
    }

    [Fact]
    public void DisabledControlsAddNoRules()
    {
        var policy = ControlRegistry.DefaultPolicy();
        var execOnly = policy.With(policy.ForkGuard with { Enabled = false }).With(policy.ReverseShell with { Enabled = false });
        var program = SeccompFilter.Build(ControlRegistry.FilterRules(execOnly));

        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 57)));
        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 435)));
        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 33, 5, 0)));
        Assert.True(program.Length < Program.Count);
    }

    [Fact]
    public void IoUringIsRefusedEvenWithEveryControlOffUnlessThePolicyAllowsIt()
    {
        var policy = ControlRegistry.DefaultPolicy();
        var noControls = policy.With(policy.DriftPrevention with { Enabled = false }).With(policy.BlockFilelessExec with { Enabled = false }).With(policy.ForkGuard with { Enabled = false }).With(policy.ReverseShell with { Enabled = false });
        var refusing = SeccompFilter.Build(ControlRegistry.FilterRules(noControls));
        var allowing = SeccompFilter.Build(ControlRegistry.FilterRules(noControls with { AllowIoUring = true }));

        foreach (uint nr in new uint[] { 425, 426, 427 })
        {
            Assert.Equal(ENOSYS_ACTION, Run(refusing, SeccompData(AUDIT_ARCH_X86_64, nr)));
            Assert.Equal(ENOSYS_ACTION, Run(refusing, SeccompData(AUDIT_ARCH_I386, nr)));
            Assert.Equal(ENOSYS_ACTION, Run(refusing, SeccompData(AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | nr)));
            Assert.Equal(RET_ALLOW, Run(allowing, SeccompData(AUDIT_ARCH_X86_64, nr)));
            Assert.Equal(RET_ALLOW, Run(allowing, SeccompData(AUDIT_ARCH_I386, nr)));
        }
        Assert.Equal(RET_ALLOW, Run(refusing, SeccompData(AUDIT_ARCH_X86_64, 424)));   // pidfd_send_signal, next door
        Assert.Equal(RET_ALLOW, Run(refusing, SeccompData(AUDIT_ARCH_X86_64, 428)));   // open_tree
    }
}
