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
///   a rule: JEQ nr (else next rule); [load arg; test (fails → ALLOW)]; RET action
/// Every path for a syscall that no rule names ends in the same constant ALLOW, so the kernel's
/// per-syscall action cache makes it free after its first use.
/// </summary>
internal static class SeccompFilter
{
    /// <summary>The rules per ABI.</summary>
    internal sealed record Rules(ImmutableArray<FilterRule> X86_64, ImmutableArray<FilterRule> X32, ImmutableArray<FilterRule> I386);

    private const uint CLONE_THREAD = 0x10000;
    private const uint F_DUPFD = 0, F_DUPFD_CLOEXEC = 1030;
    private const uint SYS_CONNECT = 3;

    /// <summary>The rules a policy needs: only what its enabled controls decide reaches PID 1.</summary>
    public static Rules ForPolicy(RuntimePolicy policy)
    {
        var x64 = ImmutableArray.CreateBuilder<FilterRule>();
        var x32 = ImmutableArray.CreateBuilder<FilterRule>();
        var i386 = ImmutableArray.CreateBuilder<FilterRule>();

        if (policy.DriftPrevention.Enabled || policy.BlockFilelessExec.Enabled || policy.ReverseShell.Enabled)
        {
            x64.AddRange(FilterRule.Notify(SyscallTable.X86_64.Execve), FilterRule.Notify(SyscallTable.X86_64.Execveat));
            x32.AddRange(FilterRule.Notify(SyscallTable.X32.Execve), FilterRule.Notify(SyscallTable.X32.Execveat));
            i386.AddRange(FilterRule.Notify(SyscallTable.I386.Execve), FilterRule.Notify(SyscallTable.I386.Execveat));
        }

        if (policy.DriftPrevention.Enabled)
        {
            // The calls that can set an mtime back: while the baseline's hashing runs, an image
            // file's unchanged mtime vouches for its content, and they wait (see ContentStamps).
            x64.AddRange(SetTimesRules(SyscallTable.X86_64.Utime, SyscallTable.X86_64.Utimes, SyscallTable.X86_64.Futimesat, SyscallTable.X86_64.Utimensat));
            x32.AddRange(SetTimesRules(SyscallTable.X32.Utime, SyscallTable.X32.Utimes, SyscallTable.X32.Futimesat, SyscallTable.X32.Utimensat));
            i386.AddRange(SetTimesRules(SyscallTable.I386.Utime, SyscallTable.I386.Utimes, SyscallTable.I386.Futimesat, SyscallTable.I386.Utimensat,
                SyscallTable.I386.UtimensatTime64));
        }

        if (policy.ForkGuard.Enabled)
        {
            // Threads are not processes: clone with CLONE_THREAD never reaches PID 1. clone3 keeps
            // its flags in memory, out of the filter's reach: ENOSYS makes libc fall back to clone.
            x64.AddRange(
                FilterRule.Notify(SyscallTable.X86_64.Fork), FilterRule.Notify(SyscallTable.X86_64.Vfork),
                FilterRule.Notify(SyscallTable.X86_64.Clone, ArgumentTest.BitsClear(0, CLONE_THREAD)),
                FilterRule.Errno(SyscallTable.X86_64.Clone3, Libc.ENOSYS));
            x32.AddRange(
                FilterRule.Notify(SyscallTable.X32.Fork), FilterRule.Notify(SyscallTable.X32.Vfork),
                FilterRule.Notify(SyscallTable.X32.Clone, ArgumentTest.BitsClear(0, CLONE_THREAD)),
                FilterRule.Errno(SyscallTable.X32.Clone3, Libc.ENOSYS));
            i386.AddRange(
                FilterRule.Notify(SyscallTable.I386.Fork), FilterRule.Notify(SyscallTable.I386.Vfork),
                FilterRule.Notify(SyscallTable.I386.Clone, ArgumentTest.BitsClear(0, CLONE_THREAD)),
                FilterRule.Errno(SyscallTable.I386.Clone3, Libc.ENOSYS));
        }

        if (policy.ReverseShell.Enabled)
        {
            // Only calls that can put a socket on fd 0-2 reach PID 1: dup2/dup3 onto 0-2,
            // fcntl(F_DUPFD*) with a minimum of 0-2; dup, whose result fd only the kernel knows,
            // always; and connect on any fd (a relay's connect may feed a shell through a pipe).
            x64.AddRange(DescriptorRules(SyscallTable.X86_64.Dup, SyscallTable.X86_64.Dup2, SyscallTable.X86_64.Dup3,
                SyscallTable.X86_64.Fcntl, SyscallTable.X86_64.Connect));
            x32.AddRange(DescriptorRules(SyscallTable.X32.Dup, SyscallTable.X32.Dup2, SyscallTable.X32.Dup3,
                SyscallTable.X32.Fcntl, SyscallTable.X32.Connect));
            i386.AddRange(DescriptorRules(SyscallTable.I386.Dup, SyscallTable.I386.Dup2, SyscallTable.I386.Dup3,
                SyscallTable.I386.Fcntl, SyscallTable.I386.Connect));
            i386.Add(FilterRule.Notify(SyscallTable.I386.Fcntl64, ArgumentTest.OneOf(1, F_DUPFD, F_DUPFD_CLOEXEC)));
            i386.Add(FilterRule.Notify(SyscallTable.I386.SocketCall, ArgumentTest.EqualTo(0, SYS_CONNECT)));
        }

        if (!policy.AllowIoUring)
        {
            // io_uring performs opens, connects, renames... in the kernel's own workers: they never
            // pass through seccomp, so every control on a syscall would have a way around it.
            // ENOSYS, as Docker's default profile answers: programs fall back to plain syscalls.
            x64.AddRange(IoUringRules(SyscallTable.X86_64.IoUringSetup, SyscallTable.X86_64.IoUringEnter, SyscallTable.X86_64.IoUringRegister));
            x32.AddRange(IoUringRules(SyscallTable.X32.IoUringSetup, SyscallTable.X32.IoUringEnter, SyscallTable.X32.IoUringRegister));
            i386.AddRange(IoUringRules(SyscallTable.I386.IoUringSetup, SyscallTable.I386.IoUringEnter, SyscallTable.I386.IoUringRegister));
        }
        return new Rules(x64.ToImmutable(), x32.ToImmutable(), i386.ToImmutable());
    }

    // fcntl duplicates with two commands; the minimum fd is a third argument, which the
    // handler checks (a rule tests one argument).
    private static IEnumerable<FilterRule> DescriptorRules(uint dup, uint dup2, uint dup3, uint fcntl, uint connect) =>
    [
        FilterRule.Notify(dup),
        FilterRule.Notify(dup2, ArgumentTest.AtMost(1, 2)),
        FilterRule.Notify(dup3, ArgumentTest.AtMost(1, 2)),
        FilterRule.Notify(fcntl, ArgumentTest.OneOf(1, F_DUPFD, F_DUPFD_CLOEXEC)),
        FilterRule.Notify(connect),
    ];

    private static IEnumerable<FilterRule> SetTimesRules(params uint[] numbers) => numbers.Select(nr => FilterRule.Notify(nr));

    private static IEnumerable<FilterRule> IoUringRules(uint setup, uint enter, uint register) =>
    [
        FilterRule.Errno(setup, Libc.ENOSYS),
        FilterRule.Errno(enter, Libc.ENOSYS),
        FilterRule.Errno(register, Libc.ENOSYS),
    ];

    public static ImmutableArray<BpfInstruction> Build(Rules rules)
    {
        var x86_64 = Block(rules.X86_64);
        var x32 = Block(rules.X32);
        var i386 = Block(rules.I386);

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

    // nr is loaded on entry. Each rule either returns or falls through to the next with nr
    // still loaded (a rule that loads an argument always returns).
    private static List<BpfInstruction> Block(ImmutableArray<FilterRule> rules)
    {
        var block = new List<BpfInstruction>();
        foreach (FilterRule rule in rules)
        {
            if (rule.Test is null)
            {
                //   JEQ nr, 0, 1 ; RET action
                block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Nr, 0, 1));
                block.Add(BpfInstruction.Return(rule.Action));
                continue;
            }
            if (rule.Test.Kind == ArgumentTestKind.OneOf)
            {
                //   JEQ nr, 0, 5 ; LD arg ; JEQ v1, 1, 0 ; JEQ v2, 0, 1 ; RET action ; RET ALLOW
                block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Nr, 0, 5));
                block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset));
                block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 1, 0));
                block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value2, 0, 1));
                block.Add(BpfInstruction.Return(rule.Action));
                block.Add(BpfInstruction.Return(SeccompConstants.RET_ALLOW));
                continue;
            }
            //   JEQ nr, 0, 4 ; LD arg ; J<test> → RET action / RET ALLOW ; RET action ; RET ALLOW
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Nr, 0, 4));
            block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset));
            block.Add(rule.Test.Kind switch
            {
                // a > value → allow (skip the action); else the action
                ArgumentTestKind.AtMost => BpfInstruction.Jump(BpfInstruction.BPF_JGT, rule.Test.Value, 1, 0),
                // any bit set → allow
                ArgumentTestKind.BitsClear => BpfInstruction.Jump(BpfInstruction.BPF_JSET, rule.Test.Value, 1, 0),
                // equal → the action; else allow
                _ => BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 0, 1),
            });
            block.Add(BpfInstruction.Return(rule.Action));
            block.Add(BpfInstruction.Return(SeccompConstants.RET_ALLOW));
        }
        block.Add(BpfInstruction.Return(SeccompConstants.RET_ALLOW));
        return block;
    }

    private static byte Offset(int from, int to) => checked((byte)(to - from - 1));
}
