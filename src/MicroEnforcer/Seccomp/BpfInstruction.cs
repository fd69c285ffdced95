using System.Runtime.InteropServices;

namespace MicroEnforcer.Seccomp;

/// <summary>One classic-BPF instruction, laid out as the kernel's <c>struct sock_filter</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct BpfInstruction(ushort Code, byte JumpIfTrue, byte JumpIfFalse, uint K)
{
    // Instruction classes and modes used by seccomp programs (linux/bpf_common.h).
    internal const ushort BPF_LD = 0x00, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_ALU = 0x04;
    internal const ushort BPF_W = 0x00, BPF_ABS = 0x20;
    internal const ushort BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
    internal const ushort BPF_K = 0x00;

    public static BpfInstruction LoadAbsolute(uint offset) => new((ushort)(BPF_LD | BPF_W | BPF_ABS), 0, 0, offset);

    public static BpfInstruction Return(uint value) => new((ushort)(BPF_RET | BPF_K), 0, 0, value);

    public static BpfInstruction Jump(ushort op, uint k, byte jt, byte jf) => new((ushort)(BPF_JMP | op | BPF_K), jt, jf, k);

    /// <summary>An unconditional jump <paramref name="offset"/> instructions ahead: the only jump whose offset is not one byte.</summary>
    public static BpfInstruction JumpAlways(uint offset) => new((ushort)(BPF_JMP | BPF_JA), 0, 0, offset);

    public override string ToString() => $"{{ 0x{Code:x2}, {JumpIfTrue}, {JumpIfFalse}, 0x{K:x8} }}";
}
