using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>One notified call as a control sees it: who made it, which call, its registers.</summary>
internal readonly struct SyscallCall(int tid, SyscallKind kind, in Libc.seccomp_data data, INotificationValidity listener, ulong id)
{
    private readonly Libc.seccomp_data _data = data;

    public int Tid { get; } = tid;

    public SyscallKind Kind { get; } = kind;

    /// <summary>The syscall number as seccomp reported it (which ABI's, is in <see cref="Data"/>).</summary>
    public uint Nr => unchecked((uint)_data.nr);

    public string Name => SyscallClassifier.Name(Kind);

    /// <summary>The very entry point called (i386's umount, not umount2; clock_settime64, not clock_settime), from the table.</summary>
    public Syscall? Entry => SyscallTable.Find(_data.arch, Nr);

    /// <summary>Whether the call came through the i386 ABI (int 0x80, or a 32-bit program): 32-bit pointers, longs and, unless a time64 entry, time_t.</summary>
    public bool IsI386 => _data.arch == SeccompConstants.AUDIT_ARCH_I386;

    public Libc.seccomp_data Data => _data;

    public ulong Arg(int index) => ExecRequest.ArgAt(_data, index);

    /// <summary>
    /// An argument as the kernel takes it under the caller's ABI: i386 registers are 32 bits, and
    /// whatever a 64-bit caller left in the upper halves before int 0x80, the call does not see.
    /// </summary>
    public ulong Word(int index) => IsI386 ? (uint)Arg(index) : Arg(index);

    /// <summary>Whether the caller still waits in this call: what was read of it is still its own.</summary>
    public bool IsStillValid() => listener.IsStillValid(id);

    /// <summary>Answers this call from another thread, later (after <see cref="SyscallVerdict.Deferred"/>): a value, or a negative errno.</summary>
    public void AnswerLater(long result)
    {
        var answers = (INotificationAnswers)listener;
        if (result < 0)
            answers.Respond(id, (int)result);
        else
            answers.RespondWithValue(id, result);
    }

    /// <summary>
    /// Answers this call by installing PID 1's descriptor <paramref name="fd"/> in the caller, whose
    /// number the call returns (an accept PID 1 performed): that number, or -errno (ENOENT: the
    /// caller stopped waiting and got nothing). From any thread, after <see cref="SyscallVerdict.Deferred"/>.
    /// </summary>
    public int AnswerWithDescriptor(int fd, bool closeOnExec) => ((INotificationAnswers)listener).RespondWithDescriptor(id, fd, closeOnExec);

    /// <summary>Whether <see cref="AnswerLater"/> can be used (a real listener, not a test's).</summary>
    public bool CanAnswerLater => listener is INotificationAnswers;
}
