using System.Collections.Immutable;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Builds the workload's seccomp program. A pure function of what is intercepted, so it can be
/// run against crafted seccomp_data in a userspace interpreter (see the unit tests).
///
/// Shape:
///   load arch; x86-64 → its block; i386 → its block; anything else → kill the process
///   x86-64 block: nr ≥ X32 bit → x32 block; intercepted nr → USER_NOTIF; else ALLOW
///   each block ends in a constant ALLOW, so the kernel's per-syscall action cache makes every
///   syscall that is not intercepted free after its first use.
/// </summary>
internal static class SeccompFilter
{
    /// <summary>Syscall numbers whose calls go to PID 1 for a decision, per ABI.</summary>
    internal sealed record InterceptedSyscalls(ImmutableArray<uint> X86_64, ImmutableArray<uint> X32, ImmutableArray<uint> I386);

    /// <summary>What drift prevention needs: every way to call execve and execveat.</summary>
    public static InterceptedSyscalls ExecSyscalls { get; } = new(
        [SyscallTable.X86_64.Execve, SyscallTable.X86_64.Execveat],
        [SyscallTable.X32.Execve, SyscallTable.X32.Execveat],
        [SyscallTable.I386.Execve, SyscallTable.I386.Execveat]);

    public static ImmutableArray<BpfInstruction> Build(InterceptedSyscalls intercepted)
    {
        // Blocks are emitted in order; jumps are forward only (a cBPF rule), and each block's
        // offsets are computed from the sizes of the blocks that follow it.
        var x86_64 = MatchBlock(intercepted.X86_64);
        var x32 = MatchBlock(intercepted.X32);
        var i386 = MatchBlock(intercepted.I386);

        var program = ImmutableArray.CreateBuilder<BpfInstruction>();
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetArch));
        // [1] x86-64?  [2] i386?  [3] kill
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_X86_64, 2, 0));
        int i386Start = 4 + 2 + x86_64.Count + x32.Count;   // after kill, x86-64 prologue and both blocks
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_I386, Offset(2, i386Start), 0));
        program.Add(BpfInstruction.Return(SeccompConstants.RET_KILL_PROCESS));

        // [4] x86-64 prologue: load nr, divert x32 numbers.
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JGE, SeccompConstants.X32_SYSCALL_BIT, Offset(5, 6 + x86_64.Count), 0));
        program.AddRange(x86_64);
        program.AddRange(x32);

        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
        program.AddRange(i386);
        if (program.Count > ushort.MaxValue)
            throw new InvalidOperationException("seccomp program too long");
        return program.ToImmutable();
    }

    // nr already loaded: one JEQ per intercepted number, each jumping to the block's NOTIFY.
    //   JEQ n0 → notify ; JEQ n1 → notify ; ... ; RET ALLOW ; RET USER_NOTIF
    private static List<BpfInstruction> MatchBlock(ImmutableArray<uint> numbers)
    {
        var block = new List<BpfInstruction>(numbers.Length + 2);
        for (int i = 0; i < numbers.Length; i++)
        {
            int toNotify = numbers.Length - i;   // skip the remaining JEQs and the ALLOW
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, numbers[i], checked((byte)toNotify), 0));
        }
        block.Add(BpfInstruction.Return(SeccompConstants.RET_ALLOW));
        block.Add(BpfInstruction.Return(SeccompConstants.RET_USER_NOTIF));
        return block;
    }

    private static byte Offset(int from, int to) => checked((byte)(to - from - 1));
}
