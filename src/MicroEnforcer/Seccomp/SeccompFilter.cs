using System.Collections.Immutable;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Builds the workload's seccomp program from the policy. A pure function of the rules, so it is
/// run against crafted seccomp_data in a userspace interpreter (see the unit tests).
///
/// Shape:
///   load arch; x86-64 → its block; i386 → its block; anything else → kill the process
///   x86-64 block: nr ≥ X32 bit → x32 block; rules; ALLOW
///   a rule: JEQ nr (else next rule); [load arg; test (fails → reload nr, next rule)]; RET action
/// Every path for a syscall that no rule names ends in the same constant ALLOW, so the kernel's
/// per-syscall action cache makes it free after its first use.
/// </summary>
internal static class SeccompFilter
{
    private const uint CLONE_THREAD = 0x10000;
    private const uint F_DUPFD = 0, F_DUPFD_CLOEXEC = 1030;
    private const uint SYS_CONNECT = 3;

    /// <summary>The rules a policy needs: only what its enabled controls decide reaches PID 1.</summary>
    public static ImmutableArray<FilterRule> ForPolicy(RuntimePolicy policy)
    {
        var rules = ImmutableArray.CreateBuilder<FilterRule>();

        if (policy.DriftPrevention.Enabled || policy.BlockFilelessExec.Enabled || policy.ReverseShell.Enabled)
            rules.AddRange(FilterRule.Notify(SyscallTable.Execve), FilterRule.Notify(SyscallTable.Execveat));

        if (policy.DriftPrevention.Enabled)
        {
            // The calls that can set an mtime back: while the baseline's hashing runs, an image
            // file's unchanged mtime vouches for its content, and they wait (see ContentStamps).
            rules.AddRange(FilterRule.Notify(SyscallTable.Utime), FilterRule.Notify(SyscallTable.Utimes),
                FilterRule.Notify(SyscallTable.Futimesat), FilterRule.Notify(SyscallTable.Utimensat));
        }

        if (policy.ForkGuard.Enabled)
        {
            // Threads are not processes: clone with CLONE_THREAD never reaches PID 1. clone3 keeps
            // its flags in memory, out of the filter's reach: ENOSYS makes libc fall back to clone.
            rules.AddRange(
                FilterRule.Notify(SyscallTable.Fork), FilterRule.Notify(SyscallTable.Vfork),
                FilterRule.Notify(SyscallTable.Clone, ArgumentTest.BitsClear(0, CLONE_THREAD)),
                FilterRule.Errno(SyscallTable.Clone3, Libc.ENOSYS));
        }

        if (policy.ReverseShell.Enabled)
        {
            // Only calls that can put a socket on fd 0-2 reach PID 1: dup2/dup3 onto 0-2,
            // fcntl(F_DUPFD*) with a minimum of 0-2 (the minimum is a third argument, which the
            // handler checks); dup, whose result fd only the kernel knows, always; and connect on
            // any fd (a relay's connect may feed a shell through a pipe), i386's through socketcall.
            rules.AddRange(
                FilterRule.Notify(SyscallTable.Dup),
                FilterRule.Notify(SyscallTable.Dup2, ArgumentTest.AtMost(1, 2)),
                FilterRule.Notify(SyscallTable.Dup3, ArgumentTest.AtMost(1, 2)),
                FilterRule.Notify(SyscallTable.Fcntl, ArgumentTest.OneOf(1, F_DUPFD, F_DUPFD_CLOEXEC)),
                FilterRule.Notify(SyscallTable.Connect),
                FilterRule.Notify(SyscallTable.SocketCall, ArgumentTest.EqualTo(0, SYS_CONNECT)));
        }

        if (!policy.AllowIoUring)
        {
            // io_uring performs opens, connects, renames... in the kernel's own workers: they never
            // pass through seccomp, so every control on a syscall would have a way around it.
            // ENOSYS, as Docker's default profile answers: programs fall back to plain syscalls.
            rules.AddRange(FilterRule.Errno(SyscallTable.IoUringSetup, Libc.ENOSYS), FilterRule.Errno(SyscallTable.IoUringEnter, Libc.ENOSYS),
                FilterRule.Errno(SyscallTable.IoUringRegister, Libc.ENOSYS));
        }
        return rules.ToImmutable();
    }

    public static ImmutableArray<BpfInstruction> Build(ImmutableArray<FilterRule> rules)
    {
        var x86_64 = Block(rules, Abi.X86_64);
        var x32 = Block(rules, Abi.X32);
        var i386 = Block(rules, Abi.I386);

        var program = ImmutableArray.CreateBuilder<BpfInstruction>();
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetArch));
        // [1] x86-64?  [2] i386?  [3] kill
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_X86_64, 2, 0));
        int i386Start = 4 + 2 + x86_64.Count + x32.Count;
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_I386, Offset(2, i386Start), 0));
        program.Add(BpfInstruction.Return(SeccompConstants.RET_KILL_PROCESS));

        // [4] x86-64 prologue: load nr, divert x32 numbers.
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JGE, SeccompConstants.X32_SYSCALL_BIT, Offset(5, 6 + x86_64.Count), 0));
        program.AddRange(x86_64);
        // The x32 block starts with nr still loaded.
        program.AddRange(x32);

        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
        program.AddRange(i386);
        if (program.Count > 4096)
            throw new InvalidOperationException("seccomp program too long");
        return program.ToImmutable();
    }

    // nr is loaded on entry, and again before the next rule wherever a rule loaded an argument:
    // a rule whose test fails falls through to the next one, so two rules can name one syscall.
    // Every number of a rule's syscall under this ABI gets its own copy of the rule.
    private static List<BpfInstruction> Block(ImmutableArray<FilterRule> rules, Abi abi)
    {
        var block = new List<BpfInstruction>();
        foreach (FilterRule rule in rules)
        {
            foreach (uint nr in rule.Syscall.Numbers(abi))
                AddRule(block, nr, rule);
        }
        block.Add(BpfInstruction.Return(SeccompConstants.RET_ALLOW));
        return block;
    }

    private static void AddRule(List<BpfInstruction> block, uint nr, FilterRule rule)
    {
        if (rule.Test is null)
        {
            //   JEQ nr, 0, 1 ; RET action
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, nr, 0, 1));
            block.Add(BpfInstruction.Return(rule.Action));
            return;
        }
        if (rule.Test.Kind == ArgumentTestKind.OneOf)
        {
            //   JEQ nr, 0, 5 ; LD arg ; JEQ v1, 1, 0 ; JEQ v2, 0, 1 ; RET action ; LD nr
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, nr, 0, 5));
            block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset));
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 1, 0));
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value2, 0, 1));
            block.Add(BpfInstruction.Return(rule.Action));
            block.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
            return;
        }
        //   JEQ nr, 0, 4 ; LD arg ; J<test> → RET action / LD nr ; RET action ; LD nr
        block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, nr, 0, 4));
        block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset));
        block.Add(rule.Test.Kind switch
        {
            // a > value → the test fails (skip the action); else the action
            ArgumentTestKind.AtMost => BpfInstruction.Jump(BpfInstruction.BPF_JGT, rule.Test.Value, 1, 0),
            // any bit set → fails
            ArgumentTestKind.BitsClear => BpfInstruction.Jump(BpfInstruction.BPF_JSET, rule.Test.Value, 1, 0),
            // equal → the action; else fails
            _ => BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 0, 1),
        });
        block.Add(BpfInstruction.Return(rule.Action));
        block.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
    }

    private static byte Offset(int from, int to) => checked((byte)(to - from - 1));
}
