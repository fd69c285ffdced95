namespace MicroEnforcer.Controls;

/// <summary>What a syscall control says of one call (see <see cref="SyscallDispatch"/> for what is done with it).</summary>
internal readonly record struct SyscallVerdict(SyscallVerdictKind Kind, ControlFinding? Finding = null, int Errno = 0, long Result = 0)
{
    /// <summary>No objection.</summary>
    public static SyscallVerdict Continue => default;

    /// <summary>An objection: refused with <paramref name="errno"/> in enforce mode, reported either way, by the outcome step.</summary>
    public static SyscallVerdict Object(ControlFinding finding, int errno) => new(SyscallVerdictKind.Objection, finding, errno);

    /// <summary>Refused with <paramref name="errno"/>; the control reported it itself (Fork Guard aggregates its events).</summary>
    public static SyscallVerdict Refused(int errno) => new(SyscallVerdictKind.Refused, null, errno);

    /// <summary>
    /// The control performed the call itself (PID 1 did it for the caller, on what it checked):
    /// the caller gets <paramref name="result"/> (a value, or a negative errno) and the kernel
    /// does not run the call. The dispatch asks no later control: the call has happened.
    /// </summary>
    public static SyscallVerdict Answered(long result) => new(SyscallVerdictKind.Answered, Result: result);

    /// <summary>
    /// A control took the call over and will answer it itself, later, from another thread (a
    /// connect PID 1 performs on a blocking socket): the dispatch asks no later control, and the
    /// notify loop sends nothing.
    /// </summary>
    public static SyscallVerdict Deferred => new(SyscallVerdictKind.Deferred);

    /// <summary>The call waits in its notification until the baseline is hashed, then is asked again.</summary>
    public static SyscallVerdict HoldUntilHashed => new(SyscallVerdictKind.HoldUntilHashed);
}

internal enum SyscallVerdictKind
{
    Continue,
    Objection,
    Refused,
    HoldUntilHashed,
    Answered,
    Deferred,
}
