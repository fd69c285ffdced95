using System.Collections.Immutable;

namespace MicroEnforcer.Seccomp;

/// <summary>
/// Builds the workload's seccomp program from the rules the enabled controls need
/// (ControlRegistry.FilterRules). A pure function of the rules, so it is
/// run against crafted seccomp_data in a userspace interpreter (see the unit tests).
///
/// Shape:
///   load arch; x86-64 → its block; i386 → its block; anything else → kill the process
///   x86-64 block: nr ≥ X32 bit → x32 block; rules; ALLOW
/// The jumps to the x32 and i386 blocks go through BPF_JA, whose offset is 32 bits: a
/// conditional jump reaches only 255 instructions, fewer than the x86-64 block of every control.
///   a rule: JEQ nr (else next rule); [load arg; test (fails → reload nr, next rule)]; RET action
/// Every path for a syscall that no rule names ends in the same constant ALLOW, so the kernel's
/// per-syscall action cache makes it free after its first use.
/// </summary>
internal static class SeccompFilter
{
    public static ImmutableArray<BpfInstruction> Build(ImmutableArray<FilterRule> rules)
    {
        var x86_64 = Block(rules, Abi.X86_64);
        var x32 = Block(rules, Abi.X32);
        var i386 = Block(rules, Abi.I386);

        var program = ImmutableArray.CreateBuilder<BpfInstruction>();
        const int X86_64Start = 5, X32Jump = 7, BlocksStart = 8;
        int x32Start = BlocksStart + x86_64.Count;
        int i386Start = x32Start + x32.Count;
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetArch));
        // [1] x86-64?  [2] i386? → [3] the i386 block; else [4] kill
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_X86_64, Offset(1, X86_64Start), 0));
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, SeccompConstants.AUDIT_ARCH_I386, 0, 1));
        program.Add(BpfInstruction.JumpAlways(LongOffset(3, i386Start)));
        program.Add(BpfInstruction.Return(SeccompConstants.RET_KILL_PROCESS));

        // [5] x86-64 prologue: load nr, divert x32 numbers ([7] the x32 block).
        program.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
        program.Add(BpfInstruction.Jump(BpfInstruction.BPF_JGE, SeccompConstants.X32_SYSCALL_BIT, 0, 1));
        program.Add(BpfInstruction.JumpAlways(LongOffset(X32Jump, x32Start)));
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
        if (rule.Test.Kind == ArgumentTestKind.NonZero)
        {
            //   JEQ nr, 0, 6 ; LD low ; JSET ~0, 2, 0 ; LD high ; JSET ~0, 0, 1 ; RET action ; LD nr
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JEQ, nr, 0, 6));
            block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset));
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JSET, uint.MaxValue, 2, 0));
            block.Add(BpfInstruction.LoadAbsolute(rule.Test.Offset + 4));
            block.Add(BpfInstruction.Jump(BpfInstruction.BPF_JSET, uint.MaxValue, 0, 1));
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
            // no bit set → fails; else the action
            ArgumentTestKind.AnyBitSet => BpfInstruction.Jump(BpfInstruction.BPF_JSET, rule.Test.Value, 0, 1),
            // equal → fails; else the action
            ArgumentTestKind.NotEqualTo => BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 1, 0),
            // equal → the action; else fails
            _ => BpfInstruction.Jump(BpfInstruction.BPF_JEQ, rule.Test.Value, 0, 1),
        });
        block.Add(BpfInstruction.Return(rule.Action));
        block.Add(BpfInstruction.LoadAbsolute(SeccompConstants.OffsetNr));
    }

    private static byte Offset(int from, int to) => checked((byte)(to - from - 1));

    private static uint LongOffset(int from, int to) => checked((uint)(to - from - 1));
}
