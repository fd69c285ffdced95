using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Xunit;
using static MicroEnforcer.Seccomp.SeccompConstants;
using static MicroEnforcer.Tests.Seccomp.ClassicBpfInterpreter;

namespace MicroEnforcer.Tests.Seccomp;

public sealed class SeccompFilterTests
{
    // io_uring's ENOSYS rules are DefaultPolicyFilterTests'.
    private static readonly RuntimePolicy ExecOnly = ControlRegistry.DefaultPolicy()
        .With(ControlRegistry.DefaultPolicy().ForkGuard with { Enabled = false })
        .With(ControlRegistry.DefaultPolicy().ReverseShell with { Enabled = false }) with { AllowIoUring = true };

    private static readonly IReadOnlyList<BpfInstruction> Program = SeccompFilter.Build(ControlRegistry.FilterRules(ExecOnly));

    [Theory]
    [InlineData(AUDIT_ARCH_X86_64, 59u)]               // execve
    [InlineData(AUDIT_ARCH_X86_64, 322u)]              // execveat
    [InlineData(AUDIT_ARCH_I386, 11u)]                 // execve via int 0x80
    [InlineData(AUDIT_ARCH_I386, 358u)]                // execveat via int 0x80
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u | 520)] // x32 execve
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u | 545)] // x32 execveat
    public void EveryExecEntryPointGoesToTheNotifier(uint arch, uint nr)
    {
        Assert.Equal(RET_USER_NOTIF, Run(Program, SeccompData(arch, nr)));
    }

    [Theory]
    [InlineData(AUDIT_ARCH_X86_64, 0u)]                // read
    [InlineData(AUDIT_ARCH_X86_64, 57u)]               // fork
    [InlineData(AUDIT_ARCH_X86_64, 56u)]               // clone
    [InlineData(AUDIT_ARCH_X86_64, 11u)]               // munmap: i386's execve number on x86-64
    [InlineData(AUDIT_ARCH_X86_64, 358u)]              // no such x86-64 syscall: i386 execveat's number
    [InlineData(AUDIT_ARCH_I386, 59u)]                 // i386 oldolduname: x86-64 execve's number
    [InlineData(AUDIT_ARCH_I386, 322u)]                // not an exec under the i386 numbering
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u | 59)]  // x32 bit on a 64-bit-only number (kernel: ENOSYS)
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u)]       // x32 read
    public void OtherSyscallsAreAllowed(uint arch, uint nr)
    {
        Assert.Equal(RET_ALLOW, Run(Program, SeccompData(arch, nr)));
    }

    [Theory]
    [InlineData(0xc00000b7u)]   // aarch64
    [InlineData(0x40000028u)]   // arm
    [InlineData(0u)]
    public void UnknownArchitecturesAreKilled(uint arch)
    {
        Assert.Equal(RET_KILL_PROCESS, Run(Program, SeccompData(arch, 59)));
        Assert.Equal(RET_KILL_PROCESS, Run(Program, SeccompData(arch, 0)));
    }

    [Fact]
    public void ArgumentsDoNotChangeTheVerdict()
    {
        Assert.Equal(RET_USER_NOTIF, Run(Program, SeccompData(AUDIT_ARCH_X86_64, 59, ulong.MaxValue, 0, 1, 2, 3, 4)));
        Assert.Equal(RET_ALLOW, Run(Program, SeccompData(AUDIT_ARCH_X86_64, 1, 59, 59, 59)));
    }

    [Fact]
    public void ExhaustiveOverTheLowSyscallNumbers()
    {
        // Every number below 1024 under each ABI: exactly the exec syscalls, and the calls that
        // can set an mtime back (utime, utimes, futimesat, utimensat; see ContentStamps), are notified.
        var notified = new HashSet<(uint, uint)>
        {
            (AUDIT_ARCH_X86_64, 59), (AUDIT_ARCH_X86_64, 322), (AUDIT_ARCH_I386, 11), (AUDIT_ARCH_I386, 358),
            (AUDIT_ARCH_X86_64, 0x40000000u | 520), (AUDIT_ARCH_X86_64, 0x40000000u | 545),
            (AUDIT_ARCH_X86_64, 132), (AUDIT_ARCH_X86_64, 235), (AUDIT_ARCH_X86_64, 261), (AUDIT_ARCH_X86_64, 280),
            (AUDIT_ARCH_X86_64, 0x40000000u | 132), (AUDIT_ARCH_X86_64, 0x40000000u | 235),
            (AUDIT_ARCH_X86_64, 0x40000000u | 261), (AUDIT_ARCH_X86_64, 0x40000000u | 280),
            (AUDIT_ARCH_I386, 30), (AUDIT_ARCH_I386, 271), (AUDIT_ARCH_I386, 299), (AUDIT_ARCH_I386, 320), (AUDIT_ARCH_I386, 412),
        };
        foreach (uint arch in new[] { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 })
        {
            foreach (uint bit in new[] { 0u, X32_SYSCALL_BIT })
            {
                for (uint nr = 0; nr < 1024; nr++)
                {
                    uint expected = notified.Contains((arch, nr | bit)) ? RET_USER_NOTIF : RET_ALLOW;
                    Assert.Equal(expected, Run(Program, SeccompData(arch, nr | bit)));
                }
            }
        }
    }

    [Fact]
    public void ProgramIsSmallAndHasNoBackwardJumps()
    {
        Assert.True(Program.Count < 64, $"{Program.Count} instructions");
        Assert.IsType<BpfInstruction>(Program[^1]);
        Assert.Equal(BpfInstruction.BPF_RET, Program[^1].Code & 0x07);
    }

    [Fact]
    public void TwoRulesCanShareASyscall()
    {
        // A rule whose argument test fails falls through to the next rule for the same syscall.
        var rules = System.Collections.Immutable.ImmutableArray.Create(
            FilterRule.Notify(SyscallTable.Dup2, ArgumentTest.AtMost(1, 2)),
            FilterRule.Errno(SyscallTable.Dup2, 1) with { Test = ArgumentTest.EqualTo(0, 7) },
            FilterRule.Notify(SyscallTable.Connect, ArgumentTest.EqualTo(0, 9)),
            FilterRule.Errno(SyscallTable.Connect, 13));
        var program = SeccompFilter.Build(rules);

        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 33, 5, 1)));      // first rule
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 33, 7, 1)));      // first rule wins
        Assert.Equal(RET_ERRNO | 1, Run(program, SeccompData(AUDIT_ARCH_X86_64, 33, 7, 10)));      // falls to the second
        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 33, 5, 10)));          // neither
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 42, 9)));
        Assert.Equal(RET_ERRNO | 13, Run(program, SeccompData(AUDIT_ARCH_X86_64, 42, 3)));         // falls to the unconditional rule
        Assert.Equal(RET_ERRNO | 13, Run(program, SeccompData(AUDIT_ARCH_I386, 362, 3)));          // expanded to i386's number
        Assert.Equal(RET_ERRNO | 1, Run(program, SeccompData(AUDIT_ARCH_X86_64, 0x40000000u | 33, 7, 10)));   // and x32's
        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 0)));
    }

    [Fact]
    public void NonZeroTestsAll64BitsOfAPointer()
    {
        // sendto's destination: a pointer whose low half is zero is still a destination.
        var program = SeccompFilter.Build([FilterRule.Notify(SyscallTable.SendTo, ArgumentTest.NonZero(4))]);

        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 44, 3, 0, 0, 0, 0x7fff_0000_0000UL)));
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 44, 3, 0, 0, 0, 0x1000UL)));
        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 44, 3, 0, 0, 0, 0)));
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_I386, 369, 3, 0, 0, 0, 0x8000)));
    }

    [Fact]
    public void NotEqualToLetsOnlyThatValueThrough()
    {
        // The listener hand-off's sendmsg flags (MSG_NOSIGNAL | MSG_PROBE) go unnotified; any other flags are notified.
        var program = SeccompFilter.Build([FilterRule.Notify(SyscallTable.SendMsg, ArgumentTest.NotEqualTo(2, 0x4010))]);

        Assert.Equal(RET_ALLOW, Run(program, SeccompData(AUDIT_ARCH_X86_64, 46, 3, 0x1000, 0x4010)));
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 46, 3, 0x1000, 0x4000)));
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 46, 3, 0x1000, 0)));
        Assert.Equal(RET_USER_NOTIF, Run(program, SeccompData(AUDIT_ARCH_X86_64, 0x40000000u | 518, 3, 0x1000, 0)));   // x32's own sendmsg
    }

    [Theory]
    [InlineData(AUDIT_ARCH_I386, 221u, "FcntlDupfd")]     // fcntl64
    [InlineData(AUDIT_ARCH_I386, 55u, "FcntlDupfd")]
    [InlineData(AUDIT_ARCH_I386, 412u, "SetTimes")]       // utimensat_time64
    [InlineData(AUDIT_ARCH_I386, 102u, "SocketCall")]
    [InlineData(AUDIT_ARCH_X86_64, 102u, "Other")]        // getuid: socketcall has no x86-64 number
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u | 520, "Execve")]
    [InlineData(AUDIT_ARCH_X86_64, 0x40000000u | 59, "Other")]
    [InlineData(AUDIT_ARCH_X86_64, 280u, "SetTimes")]
    public void TheClassifierReadsTheSameTable(uint arch, uint nr, string expected)
    {
        Assert.Equal(expected, SyscallClassifier.Classify(arch, nr).Kind.ToString());
    }

    [Fact]
    public void EveryNumberOfTheTableIsOneSyscallPerAbi()
    {
        foreach (Abi abi in Enum.GetValues<Abi>())
        {
            var numbers = SyscallTable.All.SelectMany(syscall => syscall.Numbers(abi)).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
        }
    }
}
