using System.Collections.Immutable;
using System.Runtime.InteropServices;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// Puts a process that entered the container from outside (an exec session) under the same
/// seccomp filter as the workload, by making it call what the launch shim calls before the
/// workload's execve: drop CAP_SYS_PTRACE and the capabilities the policy blocks (one
/// PR_CAPBSET_DROP each, then one capset), set NO_NEW_PRIVS, install the filter with a listener.
/// The listener is then copied out with pidfd_getfd and closed in the process.
///
/// It starts at the process's PTRACE_EVENT_EXEC stop, the one moment its state is fully known: a
/// fresh image, one thread, no signal handlers, nothing run. It resumes to the execve's
/// syscall-exit stop (at the exec event itself the kernel has yet to write execve's result into
/// rax), writes `syscall` over the first two bytes at the entry point and the filter below the
/// stack pointer, and runs one system call per step: registers set, PTRACE_SYSCALL to the entry
/// stop, PTRACE_SYSCALL to the exit stop, result read from rax. Then the code word and the
/// registers are put back and the process starts at its entry point as if nothing happened.
///
/// x86-64 only: a compat (i386) image is left traced instead, where its execs are still checked.
/// Signals that arrive meanwhile are held and sent again once the process is restored.
/// </summary>
internal sealed class FilterInjection
{
    private const long SYS_close = 3, SYS_prctl = 157, SYS_capset = 126, SYS_seccomp = 317;
    private const long PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38;
    private const long SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;
    private const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private const ulong SyscallInstruction = 0x050f;   // 0f 05, little-endian

    private enum Step { DropBounding, DropPermitted, NoNewPrivs, Filter, FilterNotKillable, CloseListener }

    private enum Phase { AwaitingExecExit, AtEntry, AtExit }

    private readonly ImmutableArray<BpfInstruction> _filter;
    private readonly ulong _requiredDrops;
    private readonly Queue<int> _boundingDrops = new();
    private int _dropping;
    private readonly List<int> _heldSignals = [];
    private Libc.user_regs_struct _saved;
    private long _savedCode;
    private ulong _programAddress, _capHeaderAddress, _capDataAddress;
    private Phase _phase = Phase.AwaitingExecExit;
    private Step _step;
    private bool _codePatched;

    private FilterInjection(int pid, ImmutableArray<BpfInstruction> filter, LaunchPlan plan)
    {
        Pid = pid;
        _filter = filter;
        _requiredDrops = plan.DropCapabilities;
    }

    public int Pid { get; }

    /// <summary>Our copy of the session's listener, once <see cref="Outcome.Done"/>.</summary>
    public int ListenerFd { get; private set; } = -1;

    /// <summary>Why it failed, once <see cref="Outcome.Failed"/>.</summary>
    public string? Failure { get; private set; }

    /// <summary>The control whose part of the launch plan failed, or null when the injection itself did.</summary>
    public string? FailedControl { get; private set; }

    internal enum Outcome { InProgress, Done, Failed, NotApplicable }

    /// <summary>Called at the process's PTRACE_EVENT_EXEC stop.</summary>
    public static FilterInjection? Begin(int pid, ImmutableArray<BpfInstruction> filter, LaunchPlan plan)
    {
        if (Libc.Ptrace(Libc.PTRACE_SYSCALL, pid, 0, 0) != 0)
            return null;
        return new FilterInjection(pid, filter, plan);
    }

    /// <summary>
    /// The process stopped (waitpid status). Done: restored, with our filter, still stopped and
    /// traced (the caller detaches). Failed: restored as far as possible, still stopped (the caller
    /// decides: kill, or keep tracing). NotApplicable: a compat image, left untouched and stopped.
    /// </summary>
    public Outcome OnStopped(int status)
    {
        int signal = Libc.WSTOPSIG(status);
        int ptraceEvent = (status >> 16) & 0xff;
        if (signal != (Libc.SIGTRAP | 0x80))
        {
            // Not a syscall stop: a signal for the process (held, resent when it is restored) or
            // a ptrace event stop; either way keep stepping towards the next syscall stop.
            if (ptraceEvent == 0)
                _heldSignals.Add(signal);
            return Resume();
        }

        try
        {
            switch (_phase)
            {
                case Phase.AwaitingExecExit:
                    return Prepare();
                case Phase.AtEntry:
                    _phase = Phase.AtExit;
                    return Resume();
                default:
                    return Advance(ReadResult());
            }
        }
        catch (InjectionException e)
        {
            Failure = e.Message;
            Restore();
            return Outcome.Failed;
        }
    }

    /// <summary>Resends the signals that arrived during the injection (after detaching).</summary>
    public void ResendHeldSignals()
    {
        foreach (int signal in _heldSignals)
            Libc.Kill(Pid, signal);
    }

    private unsafe Outcome Prepare()
    {
        Libc.user_regs_struct regs;
        if (Libc.Ptrace(Libc.PTRACE_GETREGS, Pid, 0, (nint)(&regs)) != 0)
            throw new InjectionException($"PTRACE_GETREGS: {Libc.DescribeErrno(Libc.LastErrno)}");
        _saved = regs;
        if (regs.cs != Libc.UserCodeSegment64)
            return Outcome.NotApplicable;

        _savedCode = Peek(regs.rip);
        Poke(regs.rip, (_savedCode & ~0xffffL) | (long)SyscallInstruction);
        _codePatched = true;

        // Below the stack pointer (well clear of it): the sock_fprog, the filter, and the capset
        // arguments. The kernel copies all of them in; the image overwrites them as it runs.
        int filterBytes = _filter.Length * sizeof(BpfInstruction);
        int size = 16 + filterBytes + 8 + 24;
        ulong area = (regs.rsp - 1024 - (ulong)size) & ~0xfUL;
        _programAddress = area;
        ulong filterAddress = area + 16;
        _capHeaderAddress = filterAddress + (ulong)filterBytes;
        _capDataAddress = _capHeaderAddress + 8;

        byte[] data = new byte[(size + 7) & ~7];
        BitConverter.TryWriteBytes(data.AsSpan(0), (ushort)_filter.Length);
        BitConverter.TryWriteBytes(data.AsSpan(8), filterAddress);
        MemoryMarshal.AsBytes(_filter.AsSpan()).CopyTo(data.AsSpan(16));
        BitConverter.TryWriteBytes(data.AsSpan(16 + filterBytes), LINUX_CAPABILITY_VERSION_3);   // pid 0: itself
        if (Capabilities.ReadSets(Pid) is not { } caps)
            throw new InjectionException("the process is gone");
        // Only what the bounding set holds is dropped from it: anything else would be EPERM
        // without CAP_SETPCAP, and nothing to do with it. Ambient capabilities must stay both
        // permitted and inheritable: the capset lowers the dropped ones, and only those.
        ulong drop = _requiredDrops | (1UL << Libc.CAP_SYS_PTRACE);
        for (int capability = 0; capability < 64; capability++)
        {
            if ((drop & caps.Bounding & (1UL << capability)) != 0)
                _boundingDrops.Enqueue(capability);
        }
        WriteCapData(data.AsSpan(16 + filterBytes + 8), caps.Effective & ~drop, caps.Permitted & ~drop, caps.Inheritable & ~drop);
        for (int offset = 0; offset < data.Length; offset += 8)
            Poke(area + (ulong)offset, BitConverter.ToInt64(data, offset));

        return DropNextFromBounding();
    }

    private Outcome DropNextFromBounding()
    {
        if (!_boundingDrops.TryDequeue(out _dropping))
            return Call(Step.DropPermitted, SYS_capset, (long)_capHeaderAddress, (long)_capDataAddress);
        return Call(Step.DropBounding, SYS_prctl, PR_CAPBSET_DROP, _dropping);
    }

    // struct __user_cap_data_struct[2]: {effective, permitted, inheritable} for bits 0-31, then 32-63.
    private static void WriteCapData(Span<byte> target, ulong effective, ulong permitted, ulong inheritable)
    {
        uint[] words = [(uint)effective, (uint)permitted, (uint)inheritable, (uint)(effective >> 32), (uint)(permitted >> 32), (uint)(inheritable >> 32)];
        MemoryMarshal.AsBytes(words.AsSpan()).CopyTo(target);
    }

    private Outcome Advance(long result)
    {
        switch (_step)
        {
            case Step.DropBounding:
                // EPERM without CAP_SETPCAP. For CAP_SYS_PTRACE that is tolerated, as for the
                // workload (PID 1 warned at start); a capability the policy blocks is not: the
                // session is not let run holding it where it could be used again.
                if (result < 0 && (_requiredDrops & (1UL << _dropping)) != 0)
                {
                    FailedControl = CapabilitiesBlock.ControlName;
                    throw new InjectionException($"CAP_{LinuxCapability.Name(_dropping)} cannot be removed from its bounding set: "
                        + $"{Libc.DescribeErrno((int)-result)} (it lacks CAP_SETPCAP)");
                }
                return DropNextFromBounding();
            case Step.DropPermitted:
                if (result < 0)
                {
                    FailedControl = _requiredDrops != 0 ? CapabilitiesBlock.ControlName : null;
                    throw new InjectionException($"capset (dropping {LinuxCapability.Describe(_requiredDrops | (1UL << Libc.CAP_SYS_PTRACE))}): {Libc.DescribeErrno((int)-result)}");
                }
                return Call(Step.NoNewPrivs, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1);
            case Step.NoNewPrivs:
                if (result < 0)
                    throw new InjectionException($"prctl(PR_SET_NO_NEW_PRIVS): {Libc.DescribeErrno((int)-result)}");
                return Call(Step.Filter, SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, (long)_programAddress);
            case Step.Filter or Step.FilterNotKillable:
                if (result == -Libc.EINVAL && _step == Step.Filter)   // before Linux 5.19
                    return Call(Step.FilterNotKillable, SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, (long)_programAddress);
                if (result < 0)
                    throw new InjectionException($"seccomp(SECCOMP_SET_MODE_FILTER): {Libc.DescribeErrno((int)-result)}");
                ListenerFd = Libc.TakeDescriptor(Pid, (int)result, out int errno);
                return Call(Step.CloseListener, SYS_close, result);
            default:
                // The filter is in place whether or not the copy worked. Without our copy its
                // listener is closed now, and every notified call fails (ENOSYS): closed, not open.
                Restore();
                if (ListenerFd < 0)
                {
                    Failure = "cannot take the session's listener (pidfd_getfd)";
                    return Outcome.Failed;
                }
                return Outcome.Done;
        }
    }

    private unsafe Outcome Call(Step step, long number, long a1 = 0, long a2 = 0, long a3 = 0)
    {
        _step = step;
        Libc.user_regs_struct regs = _saved;
        regs.rax = (ulong)number;
        regs.rdi = (ulong)a1;
        regs.rsi = (ulong)a2;
        regs.rdx = (ulong)a3;
        regs.r10 = regs.r8 = regs.r9 = 0;
        if (Libc.Ptrace(Libc.PTRACE_SETREGS, Pid, 0, (nint)(&regs)) != 0)
            throw new InjectionException($"PTRACE_SETREGS: {Libc.DescribeErrno(Libc.LastErrno)}");
        _phase = Phase.AtEntry;
        return Resume();
    }

    private Outcome Resume()
    {
        if (Libc.Ptrace(Libc.PTRACE_SYSCALL, Pid, 0, 0) != 0)
        {
            Failure = $"PTRACE_SYSCALL: {Libc.DescribeErrno(Libc.LastErrno)}";
            return Outcome.Failed;
        }
        return Outcome.InProgress;
    }

    private unsafe long ReadResult()
    {
        Libc.user_regs_struct regs;
        if (Libc.Ptrace(Libc.PTRACE_GETREGS, Pid, 0, (nint)(&regs)) != 0)
            throw new InjectionException($"PTRACE_GETREGS: {Libc.DescribeErrno(Libc.LastErrno)}");
        return (long)regs.rax;
    }

    private unsafe void Restore()
    {
        if (_codePatched)
        {
            Libc.Ptrace(Libc.PTRACE_POKEDATA, Pid, (nint)_saved.rip, (nint)_savedCode);
            Libc.user_regs_struct regs = _saved;
            Libc.Ptrace(Libc.PTRACE_SETREGS, Pid, 0, (nint)(&regs));
        }
    }

    private long Peek(ulong address)
    {
        nint word = Libc.Ptrace(Libc.PTRACE_PEEKDATA, Pid, (nint)address, 0);
        if (word == -1 && Libc.LastErrno != 0)
            throw new InjectionException($"PTRACE_PEEKDATA at 0x{address:x}: {Libc.DescribeErrno(Libc.LastErrno)}");
        return word;
    }

    private void Poke(ulong address, long word)
    {
        if (Libc.Ptrace(Libc.PTRACE_POKEDATA, Pid, (nint)address, (nint)word) != 0)
            throw new InjectionException($"PTRACE_POKEDATA at 0x{address:x}: {Libc.DescribeErrno(Libc.LastErrno)}");
    }

    private sealed class InjectionException(string message) : Exception(message);
}
