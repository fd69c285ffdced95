using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Xunit;
using static MicroEnforcer.Seccomp.SeccompConstants;
using static MicroEnforcer.Tests.Seccomp.ClassicBpfInterpreter;

namespace MicroEnforcer.Tests.Seccomp;

/// <summary>The filter with System Integrity Monitoring and Block Ptrace on, against crafted seccomp_data.</summary>
public sealed class SystemIntegrityFilterTests
{
    private static readonly RuntimePolicy Default = ControlRegistry.DefaultPolicy();

    private static readonly RuntimePolicy Both = Default
        .With(new SystemIntegrityPolicy(true))
        .With(new BlockPtracePolicy(true, EnforcementMode.Enforce));

    private static readonly IReadOnlyList<BpfInstruction> Program = SeccompFilter.Build(ControlRegistry.FilterRules(Both));

    private const uint X32 = X32_SYSCALL_BIT;

    // Every entry point, numbers from the kernel's syscall_64.tbl and syscall_32.tbl (checked
    // against asm/unistd_64.h, unistd_x32.h and unistd_32.h).
    public static TheoryData<string, uint, uint> Monitored => new()
    {
        { "settimeofday", AUDIT_ARCH_X86_64, 164 }, { "x32 settimeofday", AUDIT_ARCH_X86_64, X32 | 164 }, { "i386 settimeofday", AUDIT_ARCH_I386, 79 },
        { "i386 stime", AUDIT_ARCH_I386, 25 },
        { "clock_settime", AUDIT_ARCH_X86_64, 227 }, { "x32 clock_settime", AUDIT_ARCH_X86_64, X32 | 227 },
        { "i386 clock_settime", AUDIT_ARCH_I386, 264 }, { "i386 clock_settime64", AUDIT_ARCH_I386, 404 },
        { "adjtimex", AUDIT_ARCH_X86_64, 159 }, { "x32 adjtimex", AUDIT_ARCH_X86_64, X32 | 159 }, { "i386 adjtimex", AUDIT_ARCH_I386, 124 },
        { "clock_adjtime", AUDIT_ARCH_X86_64, 305 }, { "i386 clock_adjtime", AUDIT_ARCH_I386, 343 }, { "i386 clock_adjtime64", AUDIT_ARCH_I386, 405 },
        { "sethostname", AUDIT_ARCH_X86_64, 170 }, { "i386 sethostname", AUDIT_ARCH_I386, 74 },
        { "setdomainname", AUDIT_ARCH_X86_64, 171 }, { "i386 setdomainname", AUDIT_ARCH_I386, 121 },
        { "mount", AUDIT_ARCH_X86_64, 165 }, { "x32 mount", AUDIT_ARCH_X86_64, X32 | 165 }, { "i386 mount", AUDIT_ARCH_I386, 21 },
        { "umount2", AUDIT_ARCH_X86_64, 166 }, { "i386 umount2", AUDIT_ARCH_I386, 52 }, { "i386 umount", AUDIT_ARCH_I386, 22 },
        { "pivot_root", AUDIT_ARCH_X86_64, 155 }, { "i386 pivot_root", AUDIT_ARCH_I386, 217 },
        { "move_mount", AUDIT_ARCH_X86_64, 429 }, { "i386 move_mount", AUDIT_ARCH_I386, 429 },
        { "mount_setattr", AUDIT_ARCH_X86_64, 442 }, { "i386 mount_setattr", AUDIT_ARCH_I386, 442 },
        { "init_module", AUDIT_ARCH_X86_64, 175 }, { "i386 init_module", AUDIT_ARCH_I386, 128 },
        { "finit_module", AUDIT_ARCH_X86_64, 313 }, { "i386 finit_module", AUDIT_ARCH_I386, 350 },
        { "delete_module", AUDIT_ARCH_X86_64, 176 }, { "i386 delete_module", AUDIT_ARCH_I386, 129 },
        { "reboot", AUDIT_ARCH_X86_64, 169 }, { "x32 reboot", AUDIT_ARCH_X86_64, X32 | 169 }, { "i386 reboot", AUDIT_ARCH_I386, 88 },
        { "swapon", AUDIT_ARCH_X86_64, 167 }, { "i386 swapon", AUDIT_ARCH_I386, 87 },
        { "swapoff", AUDIT_ARCH_X86_64, 168 }, { "i386 swapoff", AUDIT_ARCH_I386, 115 },
        { "acct", AUDIT_ARCH_X86_64, 163 }, { "i386 acct", AUDIT_ARCH_I386, 51 },
        { "kexec_load", AUDIT_ARCH_X86_64, 246 }, { "x32 kexec_load", AUDIT_ARCH_X86_64, X32 | 528 }, { "i386 kexec_load", AUDIT_ARCH_I386, 283 },
        { "kexec_file_load", AUDIT_ARCH_X86_64, 320 }, { "x32 kexec_file_load", AUDIT_ARCH_X86_64, X32 | 320 },
    };

    [Theory]
    [MemberData(nameof(Monitored))]
    public void EveryMonitoredEntryPointIsNotified(string name, uint arch, uint nr)
    {
        Assert.True(RET_USER_NOTIF == Run(Program, SeccompData(arch, nr)), name);
        Assert.True(RET_ALLOW == Run(SeccompFilter.Build(ControlRegistry.FilterRules(Default)), SeccompData(arch, nr)), name + " (off)");
    }

    [Theory]
    [MemberData(nameof(Monitored))]
    public void TheClassifierKnowsEveryMonitoredEntryPoint(string name, uint arch, uint nr)
    {
        SyscallKind kind = SyscallClassifier.Classify(arch, nr).Kind;
        Assert.True(SystemIntegrityMonitor.MonitoredKinds.Contains(kind), $"{name}: {kind}");
        Assert.EndsWith(SyscallTable.Find(arch, nr)!.Name, name, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7u, RET_USER_NOTIF)]   // FSCONFIG_CMD_RECONFIGURE
    [InlineData(6u, RET_ALLOW)]        // FSCONFIG_CMD_CREATE: a detached superblock
    [InlineData(1u, RET_ALLOW)]        // FSCONFIG_SET_STRING
    public void FsconfigOnlyForAReconfigure(uint command, uint expected)
    {
        Assert.Equal(expected, Run(Program, SeccompData(AUDIT_ARCH_X86_64, 431, 3, command)));
        Assert.Equal(expected, Run(Program, SeccompData(AUDIT_ARCH_I386, 431, 3, command)));
    }

    public static TheoryData<string, uint, uint, ulong[], uint> PtraceCases => new()
    {
        { "PTRACE_ATTACH", AUDIT_ARCH_X86_64, 101, [0x10, 42], RET_USER_NOTIF },
        { "PTRACE_SEIZE", AUDIT_ARCH_X86_64, 101, [0x4206, 42], RET_USER_NOTIF },
        { "PTRACE_TRACEME", AUDIT_ARCH_X86_64, 101, [0], RET_USER_NOTIF },
        { "PTRACE_PEEKDATA (needs a tracee already)", AUDIT_ARCH_X86_64, 101, [2, 42], RET_ALLOW },
        { "PTRACE_CONT", AUDIT_ARCH_X86_64, 101, [7, 42], RET_ALLOW },
        { "x32 PTRACE_ATTACH", AUDIT_ARCH_X86_64, X32 | 521, [0x10, 42], RET_USER_NOTIF },
        { "x32 bit on the 64-bit-only ptrace number (ENOSYS)", AUDIT_ARCH_X86_64, X32 | 101, [0x10, 42], RET_ALLOW },
        { "i386 PTRACE_ATTACH", AUDIT_ARCH_I386, 26, [0x10, 42], RET_USER_NOTIF },
        { "i386 PTRACE_TRACEME", AUDIT_ARCH_I386, 26, [0], RET_USER_NOTIF },
        { "process_vm_writev", AUDIT_ARCH_X86_64, 311, [42], RET_USER_NOTIF },
        { "x32 process_vm_writev", AUDIT_ARCH_X86_64, X32 | 540, [42], RET_USER_NOTIF },
        { "i386 process_vm_writev", AUDIT_ARCH_I386, 348, [42], RET_USER_NOTIF },
        { "process_vm_readv", AUDIT_ARCH_X86_64, 310, [42], RET_ALLOW },
        { "open O_RDONLY", AUDIT_ARCH_X86_64, 2, [0x1000, 0], RET_ALLOW },
        { "open O_RDONLY|O_CREAT|O_CLOEXEC", AUDIT_ARCH_X86_64, 2, [0x1000, 0x80040], RET_ALLOW },
        { "open O_WRONLY", AUDIT_ARCH_X86_64, 2, [0x1000, 1], RET_USER_NOTIF },
        { "open O_RDWR|O_CLOEXEC", AUDIT_ARCH_X86_64, 2, [0x1000, 0x80002], RET_USER_NOTIF },
        { "openat O_RDONLY", AUDIT_ARCH_X86_64, 257, [unchecked((ulong)-100), 0x1000, 0], RET_ALLOW },
        { "openat O_WRONLY|O_CREAT|O_TRUNC", AUDIT_ARCH_X86_64, 257, [unchecked((ulong)-100), 0x1000, 0x241], RET_USER_NOTIF },
        { "openat: the fd argument does not count", AUDIT_ARCH_X86_64, 257, [3, 0x1000, 0], RET_ALLOW },
        { "i386 open O_RDWR", AUDIT_ARCH_I386, 5, [0x1000, 2], RET_USER_NOTIF },
        { "i386 openat O_WRONLY", AUDIT_ARCH_I386, 295, [3, 0x1000, 1], RET_USER_NOTIF },
        { "i386 openat O_RDONLY", AUDIT_ARCH_I386, 295, [3, 0x1000, 0], RET_ALLOW },
        { "x32 openat O_RDWR", AUDIT_ARCH_X86_64, X32 | 257, [3, 0x1000, 2], RET_USER_NOTIF },
        { "creat", AUDIT_ARCH_X86_64, 85, [0x1000, 0x1a4], RET_USER_NOTIF },
        { "i386 creat", AUDIT_ARCH_I386, 8, [0x1000, 0x1a4], RET_USER_NOTIF },
        { "openat2 (flags in memory)", AUDIT_ARCH_X86_64, 437, [3, 0x1000, 0x2000, 24], RET_USER_NOTIF },
        { "i386 openat2", AUDIT_ARCH_I386, 437, [3, 0x1000, 0x2000, 24], RET_USER_NOTIF },
        { "read", AUDIT_ARCH_X86_64, 0, [3], RET_ALLOW },
        { "execve still notified", AUDIT_ARCH_X86_64, 59, [], RET_USER_NOTIF },
        { "i386 execve still notified", AUDIT_ARCH_I386, 11, [], RET_USER_NOTIF },
        { "x32 execve still notified", AUDIT_ARCH_X86_64, X32 | 520, [], RET_USER_NOTIF },
    };

    [Theory]
    [MemberData(nameof(PtraceCases))]
    public void BlockPtraceNotifiesOnlyWhatMakesATracerOrWrites(string name, uint arch, uint nr, ulong[] args, uint expected)
    {
        Assert.True(expected == Run(Program, SeccompData(arch, nr, args)), name);
    }

    [Fact]
    public void BothOffLeaveTheDefaultPolicysRulesAsTheyWere()
    {
        var rules = ControlRegistry.FilterRules(Default);
        var added = ControlRegistry.FilterRules(Both).Except(rules).ToList();

        Assert.DoesNotContain(rules, rule => SystemIntegrityMonitor.MonitoredKinds.Contains(rule.Syscall.Kind));
        Assert.DoesNotContain(rules, rule => rule.Syscall == SyscallTable.Ptrace || rule.Syscall == SyscallTable.OpenAt);
        Assert.Empty(rules.Except(ControlRegistry.FilterRules(Both)));
        Assert.NotEmpty(added);
    }

    [Fact]
    public void TheBlocksAreReachedWhateverTheirLength()
    {
        // The x86-64 and x32 blocks of both controls and the default ones are longer than a
        // conditional jump reaches (255): the i386 and x32 blocks are reached through BPF_JA.
        Assert.True(Program.Count > 300, $"{Program.Count} instructions");
        Assert.Equal(RET_USER_NOTIF, Run(Program, SeccompData(AUDIT_ARCH_I386, 11)));
        Assert.Equal(RET_ALLOW, Run(Program, SeccompData(AUDIT_ARCH_I386, 3)));
        Assert.Equal(RET_USER_NOTIF, Run(Program, SeccompData(AUDIT_ARCH_X86_64, X32 | 520)));
        Assert.Equal(RET_ALLOW, Run(Program, SeccompData(AUDIT_ARCH_X86_64, X32 | 0)));
        Assert.Equal(RET_KILL_PROCESS, Run(Program, SeccompData(0xc00000b7u, 59)));
    }
}
