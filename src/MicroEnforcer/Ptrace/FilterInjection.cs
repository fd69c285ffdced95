using System.Collections.Immutable;
using System.Runtime.InteropServices;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using MicroEnforcer.Sessions;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// Puts a process that entered the container from outside (an exec session) under the same
/// seccomp filter as the workload, by making it call what the launch shim calls before the
/// workload's execve: drop CAP_SYS_PTRACE and the capabilities the policy blocks (one
/// PR_CAPBSET_DROP each, then one capset), set NO_NEW_PRIVS, restrict itself with the Landlock rule
/// set when the policy restricts files, install the filter with a listener. The listener is then
/// copied out with pidfd_getfd and closed in the process.
///
/// The rule set is a descriptor, which ptrace cannot put into the process's table, so the process
/// is made to fetch it (<see cref="RulesetCourier"/>): socket(AF_UNIX, SOCK_DGRAM), connect to
/// PID 1's courier (first: from then on the socket accepts datagrams from the courier only, so no
/// other process can slip a descriptor in, even one that learns the name below), bind to a fresh
/// random name, PID 1 sends the rule set there, recvmsg (MSG_DONTWAIT: it is already queued; the
/// descriptor number is read back from the control message), landlock_restrict_self, close both.
/// After NO_NEW_PRIVS (Landlock requires it) and before the filter, like the launch shim. Any
/// failure fails the injection under the restricting control, which kills the process.
///
/// It starts at the process's PTRACE_EVENT_EXEC stop, the one moment its state is fully known: a
/// fresh image, one thread, no signal handlers, nothing run. It resumes to the execve's
/// syscall-exit stop (at the exec event itself the kernel has yet to write execve's result into
/// rax), writes `syscall` over the first two bytes at the entry point and the filter below the
/// stack pointer, and runs one system call per step: registers set, PTRACE_SYSCALL to the entry
/// stop, PTRACE_SYSCALL to the exit stop, result read from rax. Then the code word and the
/// registers are put back and the process starts at its entry point as if nothing happened.
///
/// x86-64 only: a compat (i386) image is left traced instead, where its execs are still checked;
/// when the policy restricts files it fails (and is killed): its file accesses would be unrestricted.
/// Signals that arrive meanwhile are held and sent again once the process is restored.
/// </summary>
internal sealed class FilterInjection
{
    private const long SYS_close = 3, SYS_prctl = 157, SYS_capset = 126, SYS_seccomp = 317;
    private const long SYS_socket = 41, SYS_connect = 42, SYS_recvmsg = 47, SYS_bind = 49, SYS_landlock_restrict_self = 446;
    private const long AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000, MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000;
    private const int SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_CTRUNC = 0x8;
    // struct msghdr (56 bytes) and the control buffer, CMSG_SPACE(sizeof(int)): a 16-byte cmsghdr and the fd.
    private const int MsghdrSize = 56, MsgFlagsOffset = 48, ControlSize = 24, CmsgLenOfOneFd = 20;
    private const long PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38;
    private const long SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;
    private const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    private const ulong SyscallInstruction = 0x050f;   // 0f 05, little-endian

    private enum Step
    {
        DropBounding, DropPermitted, NoNewPrivs,
        RulesetSocket, RulesetConnect, RulesetBind, RulesetReceive, RulesetRestrict, RulesetClose, RulesetSocketClose,
        Filter, FilterNotKillable, CloseListener,
    }

    private enum Phase { AwaitingExecExit, AtEntry, AtExit }

    private readonly ImmutableArray<BpfInstruction> _filter;
    private readonly ulong _requiredDrops;
    private readonly LaunchPlan _plan;
    private readonly RulesetCourier? _courier;
    private byte[] _sessionName = [];
    private ulong _courierAddress, _sessionAddress, _msghdrAddress, _controlAddress;
    private int _courierAddressLength, _sessionAddressLength;
    private long _socket = -1, _receivedRuleset = -1;
    private readonly Queue<int> _boundingDrops = new();
    private int _dropping;
    private readonly List<int> _heldSignals = [];
    private Libc.user_regs_struct _saved;
    private long _savedCode;
    private ulong _programAddress, _capHeaderAddress, _capDataAddress;
    private Phase _phase = Phase.AwaitingExecExit;
    private Step _step;
    private bool _codePatched;

    private FilterInjection(int pid, ImmutableArray<BpfInstruction> filter, LaunchPlan plan, RulesetCourier? courier)
    {
        Pid = pid;
        _filter = filter;
        _requiredDrops = plan.DropCapabilities;
        _plan = plan;
        _courier = courier;
    }

    public int Pid { get; }

    /// <summary>Our copy of the session's listener, once <see cref="Outcome.Done"/>.</summary>
    public int ListenerFd { get; private set; } = -1;

    /// <summary>Why it failed, once <see cref="Outcome.Failed"/>.</summary>
    public string? Failure { get; private set; }

    /// <summary>The control whose part of the launch plan failed, or null when the injection itself did.</summary>
    public string? FailedControl { get; private set; }

    internal enum Outcome { InProgress, Done, Failed, NotApplicable }

    /// <summary>
    /// Called at the process's PTRACE_EVENT_EXEC stop. <paramref name="courier"/> carries the
    /// plan's rule set (null when the plan has none, or when the courier could not be made: then
    /// a plan with a rule set fails the injection).
    /// </summary>
    public static FilterInjection? Begin(int pid, ImmutableArray<BpfInstruction> filter, LaunchPlan plan, RulesetCourier? courier)
    {
        if (Libc.Ptrace(Libc.PTRACE_SYSCALL, pid, 0, 0) != 0)
            return null;
        return new FilterInjection(pid, filter, plan, courier);
    }

    private bool RestrictsFiles => _plan.FileRuleset is not null;

    // The controls whose restrictions the rule set carries, e.g. "fileBlock, readOnly"; the first names a failure.
    private string RestrictingControls => string.Join(", ", _plan.FileRestrictions.Select(r => r.Control).Distinct());

    private InjectionException FilesFailed(string reason)
    {
        FailedControl = _plan.FileRestrictions[0].Control;
        return new InjectionException($"its file restrictions ({RestrictingControls}) cannot be applied: {reason}");
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
        {
            // Left traced, its execs would still be decided, but nothing would restrict its files.
            if (RestrictsFiles)
                throw FilesFailed("a 32-bit (compat) image cannot be restricted by injection");
            return Outcome.NotApplicable;
        }
        if (RestrictsFiles && _courier is null)
            throw FilesFailed("the rule set's courier socket could not be bound (PID 1 said why)");

        _savedCode = Peek(regs.rip);
        Poke(regs.rip, (_savedCode & ~0xffffL) | (long)SyscallInstruction);
        _codePatched = true;

        // Below the stack pointer (well clear of it): the sock_fprog, the filter, the capset
        // arguments, and for the rule set the two socket addresses, a msghdr, its iovec, its one
        // byte and its control buffer. The kernel copies all of them in (recvmsg writes the last
        // three); the image overwrites them as it runs.
        int filterBytes = _filter.Length * sizeof(BpfInstruction);
        byte[] courierAddress = [], sessionAddress = [];
        if (_courier is not null)
        {
            _sessionName = RulesetCourier.SessionName();
            courierAddress = RulesetCourier.Address(_courier.Name);
            sessionAddress = RulesetCourier.Address(_sessionName);
        }
        int courierOffset = 16 + filterBytes + 8 + 24;
        int sessionOffset = courierOffset + Align8(courierAddress.Length);
        int msghdrOffset = sessionOffset + Align8(sessionAddress.Length);
        int iovecOffset = msghdrOffset + MsghdrSize;
        int byteOffset = iovecOffset + 16;
        int controlOffset = byteOffset + 8;
        int size = _courier is null ? courierOffset : controlOffset + ControlSize;
        ulong area = (regs.rsp - 1024 - (ulong)size) & ~0xfUL;
        _programAddress = area;
        ulong filterAddress = area + 16;
        _capHeaderAddress = filterAddress + (ulong)filterBytes;
        _capDataAddress = _capHeaderAddress + 8;

        byte[] data = new byte[Align8(size)];
        if (_courier is not null)
        {
            _courierAddress = area + (ulong)courierOffset;
            _courierAddressLength = courierAddress.Length;
            _sessionAddress = area + (ulong)sessionOffset;
            _sessionAddressLength = sessionAddress.Length;
            _msghdrAddress = area + (ulong)msghdrOffset;
            _controlAddress = area + (ulong)controlOffset;
            courierAddress.CopyTo(data, courierOffset);
            sessionAddress.CopyTo(data, sessionOffset);
            // struct msghdr: no name; one iovec of one byte; the control buffer.
            BitConverter.TryWriteBytes(data.AsSpan(msghdrOffset + 16), area + (ulong)iovecOffset);
            BitConverter.TryWriteBytes(data.AsSpan(msghdrOffset + 24), 1UL);
            BitConverter.TryWriteBytes(data.AsSpan(msghdrOffset + 32), _controlAddress);
            BitConverter.TryWriteBytes(data.AsSpan(msghdrOffset + 40), (ulong)ControlSize);
            BitConverter.TryWriteBytes(data.AsSpan(iovecOffset), area + (ulong)byteOffset);
            BitConverter.TryWriteBytes(data.AsSpan(iovecOffset + 8), 1UL);
        }
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

    private static int Align8(int length) => (length + 7) & ~7;

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
                return RestrictsFiles
                    ? Call(Step.RulesetSocket, SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)
                    : InstallFilter();
            case Step.RulesetSocket:
                if (result < 0)
                    throw FilesFailed($"socket(AF_UNIX, SOCK_DGRAM): {Libc.DescribeErrno((int)-result)}");
                _socket = result;
                return Call(Step.RulesetConnect, SYS_connect, _socket, (long)_courierAddress, _courierAddressLength);
            case Step.RulesetConnect:
                if (result < 0)
                    throw FilesFailed($"connect to PID 1's courier: {Libc.DescribeErrno((int)-result)}");
                return Call(Step.RulesetBind, SYS_bind, _socket, (long)_sessionAddress, _sessionAddressLength);
            case Step.RulesetBind:
                if (result < 0)
                    throw FilesFailed($"bind: {Libc.DescribeErrno((int)-result)}");
                // Sent now, on this thread, while the process is stopped: when it is made to
                // receive, the datagram is queued, and it is the only one its socket can hold.
                if (_courier!.Send(_sessionName) is int sendError and not 0)
                    throw FilesFailed($"sending the rule set: {Libc.DescribeErrno(sendError)}");
                return Call(Step.RulesetReceive, SYS_recvmsg, _socket, (long)_msghdrAddress, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
            case Step.RulesetReceive:
                if (result != 1)
                    throw FilesFailed(result < 0 ? $"recvmsg: {Libc.DescribeErrno((int)-result)}" : $"recvmsg returned {result}");
                _receivedRuleset = ReceivedDescriptor();
                return Call(Step.RulesetRestrict, SYS_landlock_restrict_self, _receivedRuleset, 0);
            case Step.RulesetRestrict:
                if (result < 0)
                    throw FilesFailed($"landlock_restrict_self: {Libc.DescribeErrno((int)-result)}");
                return Call(Step.RulesetClose, SYS_close, _receivedRuleset);
            case Step.RulesetClose:
                // A close that fails leaves a close-on-exec descriptor the process cannot use to
                // loosen anything (its domain is already restricted): not a reason to kill it.
                return Call(Step.RulesetSocketClose, SYS_close, _socket);
            case Step.RulesetSocketClose:
                return InstallFilter();
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

    private Outcome InstallFilter() =>
        Call(Step.Filter, SYS_seccomp, SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, (long)_programAddress);

    // The descriptor recvmsg put in the process's table, read back from its control message: one
    // SCM_RIGHTS of one fd, not truncated (a truncated one would have been closed by the kernel).
    private long ReceivedDescriptor()
    {
        long flags = Peek(_msghdrAddress + MsgFlagsOffset) & 0xffffffffL;
        long length = Peek(_controlAddress);
        long levelAndType = Peek(_controlAddress + 8);
        long fd = Peek(_controlAddress + 16) & 0xffffffffL;
        if ((flags & MSG_CTRUNC) != 0 || length != CmsgLenOfOneFd || levelAndType != ((long)SCM_RIGHTS << 32 | SOL_SOCKET))
            throw FilesFailed($"the datagram received is not the rule set (msg_flags 0x{flags:x}, cmsg_len {length})");
        return fd;
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
