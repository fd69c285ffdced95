using System.Buffers.Binary;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Tests.Seccomp;

/// <summary>
/// A userspace classic-BPF interpreter with the kernel's seccomp checks (forward jumps only,
/// every path ends in RET, loads aligned within seccomp_data), so the generated filter is run
/// against crafted seccomp_data without a kernel — runc's approach.
/// </summary>
internal static class ClassicBpfInterpreter
{
    public const int SeccompDataSize = 64;

    public static byte[] SeccompData(uint arch, uint nr, params ulong[] args)
    {
        byte[] data = new byte[SeccompDataSize];
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(0), nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);
        return data;
    }

    public static uint Run(IReadOnlyList<BpfInstruction> program, byte[] data)
    {
        uint a = 0;
        for (int pc = 0; pc < program.Count; pc++)
        {
            BpfInstruction insn = program[pc];
            int cls = insn.Code & 0x07;
            switch (cls)
            {
                case BpfInstruction.BPF_LD:
                    if (insn.Code != (BpfInstruction.BPF_LD | BpfInstruction.BPF_W | BpfInstruction.BPF_ABS))
                        throw new InvalidOperationException($"unsupported load 0x{insn.Code:x} at {pc}");
                    if (insn.K % 4 != 0 || insn.K + 4 > SeccompDataSize)
                        throw new InvalidOperationException($"misaligned or out-of-range load at {pc}");
                    a = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)insn.K));
                    break;
                case BpfInstruction.BPF_JMP:
                    int op = insn.Code & 0xf0;
                    if (op == BpfInstruction.BPF_JA)
                    {
                        pc += (int)insn.K;
                        break;
                    }
                    bool taken = op switch
                    {
                        BpfInstruction.BPF_JEQ => a == insn.K,
                        BpfInstruction.BPF_JGT => a > insn.K,
                        BpfInstruction.BPF_JGE => a >= insn.K,
                        BpfInstruction.BPF_JSET => (a & insn.K) != 0,
                        _ => throw new InvalidOperationException($"unsupported jump 0x{insn.Code:x} at {pc}"),
                    };
                    pc += taken ? insn.JumpIfTrue : insn.JumpIfFalse;
                    if (pc + 1 >= program.Count)
                        throw new InvalidOperationException($"jump past the end from {pc}");
                    break;
                case BpfInstruction.BPF_RET:
                    return insn.K;
                default:
                    throw new InvalidOperationException($"unsupported instruction class {cls} at {pc}");
            }
        }
        throw new InvalidOperationException("program fell off its end without RET");
    }
}
