namespace MicroEnforcer.Seccomp;

/// <summary>
/// One rule of the filter: a syscall (every entry point of it, under every ABI: the builder
/// expands it), an optional test of one argument's low 32 bits (the kernel reads fds and clone
/// flags as 32-bit values; the argument's position is the same under every ABI for the calls
/// tested), and the action when it matches. When the test fails, the next rule for the same
/// syscall is asked, and the call is allowed if none matches: two controls can share a syscall.
/// </summary>
internal sealed record FilterRule(Syscall Syscall, uint Action, ArgumentTest? Test = null)
{
    public static FilterRule Notify(Syscall syscall, ArgumentTest? test = null) => new(syscall, SeccompConstants.RET_USER_NOTIF, test);

    public static FilterRule Errno(Syscall syscall, int errno) => new(syscall, SeccompConstants.RET_ERRNO | (uint)errno);
}

/// <summary>A test of args[Index] (low 32 bits).</summary>
internal sealed record ArgumentTest(int Index, ArgumentTestKind Kind, uint Value, uint Value2 = 0)
{
    /// <summary>(uint)args[i] is value or value2: e.g. "fcntl's command is F_DUPFD or F_DUPFD_CLOEXEC".</summary>
    public static ArgumentTest OneOf(int index, uint value, uint value2) => new(index, ArgumentTestKind.OneOf, value, value2);

    /// <summary>(uint)args[i] ≤ value: e.g. "the new fd is 0, 1 or 2".</summary>
    public static ArgumentTest AtMost(int index, uint value) => new(index, ArgumentTestKind.AtMost, value);

    /// <summary>(args[i] &amp; mask) == 0: e.g. "clone without CLONE_THREAD".</summary>
    public static ArgumentTest BitsClear(int index, uint mask) => new(index, ArgumentTestKind.BitsClear, mask);

    /// <summary>(uint)args[i] == value.</summary>
    public static ArgumentTest EqualTo(int index, uint value) => new(index, ArgumentTestKind.EqualTo, value);

    /// <summary>(args[i] &amp; mask) != 0: e.g. "an open for writing" (O_WRONLY|O_RDWR).</summary>
    public static ArgumentTest AnyBitSet(int index, uint mask) => new(index, ArgumentTestKind.AnyBitSet, mask);

    /// <summary>(uint)args[i] != value: e.g. "a sendmsg whose flags are not the hand-off's".</summary>
    public static ArgumentTest NotEqualTo(int index, uint value) => new(index, ArgumentTestKind.NotEqualTo, value);

    /// <summary>args[i] != 0, all 64 bits: e.g. "sendto with a destination" (a pointer whose low half may be zero).</summary>
    public static ArgumentTest NonZero(int index) => new(index, ArgumentTestKind.NonZero, 0);

    public uint Offset => 16 + 8 * (uint)Index;   // low word of seccomp_data.args[i], little-endian
}

internal enum ArgumentTestKind
{
    AtMost,
    BitsClear,
    EqualTo,
    OneOf,
    AnyBitSet,
    NonZero,
    NotEqualTo,
}
