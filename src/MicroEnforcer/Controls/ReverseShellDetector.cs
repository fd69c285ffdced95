using System.Buffers.Binary;
using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// A reverse shell is a shell or interpreter whose stdin, stdout or stderr is a network socket.
/// Decisive: at exec, an interpreter may not start with an AF_INET/AF_INET6 socket on fd 0-2
/// (checked at entry, and again on the loaded image by the tracer, like every exec control).
/// Earlier, inside a running interpreter: dup/dup2/dup3/fcntl(F_DUPFD) of an INET socket onto
/// fd 0-2, and connect on fd 0-2, fail with EPERM (bash's /dev/tcp, python's dup2 one-liners).
/// Through a relay: an interpreter that reads its commands from stdin, fed through a pipe, FIFO
/// or pty by a process connected to a remote peer, is killed at its exec event, and a connect
/// that would make a process such a relay fails with EPERM (see <see cref="StdinRelay"/>).
/// Sockets are identified from kernel state (/proc/PID/fd and /proc/PID/net), not from memory
/// the caller could rewrite; only connect's address is read from the caller's memory, and it
/// only decides the allowedAddresses exemption. These early checks can be raced (another thread
/// can swap the fd between the check and the call); the exec check is the decisive one.
///
/// Interpreters are recognised by name: the executable's file name, or for multi-call binaries
/// (busybox) the applet name it runs as, so that busybox httpd, which serves on fd 0 and 1, is
/// not taken for busybox sh.
/// </summary>
internal sealed class ReverseShellDetector : IExecControl, ISyscallControl
{
    public const string ControlName = "reverseShell";

    private readonly ReverseShellPolicy _policy;
    private readonly StdinRelay _relay;

    public ReverseShellDetector(ReverseShellPolicy policy)
    {
        _policy = policy;
        _relay = new StdinRelay(IsAllowed, IsExempt, IsInterpreter);
    }

    // socketcall's first argument for connect (linux/net.h SYS_CONNECT).
    private const uint SocketCallConnect = 3;

    public string Name => ControlName;

    public EnforcementMode Mode => _policy.Mode;

    public bool Enabled => _policy.Enabled;

    public IReadOnlyList<SyscallKind> Kinds { get; } =
        [SyscallKind.Dup, SyscallKind.Dup2, SyscallKind.Dup3, SyscallKind.FcntlDupfd, SyscallKind.Connect, SyscallKind.SocketCall];

    /// <summary>A notified dup/dup2/dup3/fcntl/connect: refused with EPERM in enforce mode.</summary>
    public SyscallVerdict Decide(in SyscallCall call) =>
        DecideDescriptorCall(call.Tid, call.Kind, call.Data) is { } finding ? SyscallVerdict.Object(finding, Libc.EPERM) : SyscallVerdict.Continue;

    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (!_policy.Enabled || !IsInterpreter(target.CanonicalPath, target.InvokedName) || IsExempt(target.CanonicalPath))
            return null;
        for (int fd = 0; fd <= 2; fd++)
        {
            if (ProcessDescriptors.InetSocketAt(target.Pid, fd) is { } socket && !IsAllowed(socket.Remote.Address))
            {
                return new ControlFinding(ControlName,
                    $"{target.InvokedName} would run with fd {fd} on a {socket.Protocol} socket to {socket.RemoteText}")
                {
                    Remote = socket.RemoteText,
                };
            }
        }
        return null;
    }

    /// <summary>
    /// A notified dup/dup2/dup3/fcntl/connect. Returns the finding, or null to let it through.
    /// Reads /proc of the caller: the notify loop validates the notification id afterwards.
    /// </summary>
    public ControlFinding? DecideDescriptorCall(int tid, SyscallKind kind, in Libc.seccomp_data data)
    {
        if (!_policy.Enabled)
            return null;
        if (kind == SyscallKind.SocketCall)   // i386: notified for the other socket calls too, when a network control is on
            return (uint)ExecRequest.ArgAt(data, 0) == SocketCallConnect ? DecideConnect(tid, kind, data) : null;
        if (kind == SyscallKind.Connect)
            return DecideConnect(tid, kind, data);
        int a0 = unchecked((int)(uint)ExecRequest.ArgAt(data, 0));
        int a1 = unchecked((int)(uint)ExecRequest.ArgAt(data, 1));
        int a2 = unchecked((int)(uint)ExecRequest.ArgAt(data, 2));
        // What the registers alone rule out costs no /proc read (fcntl(F_DUPFD_CLOEXEC, 3) is common).
        bool couldReachStdio = kind switch
        {
            SyscallKind.Dup2 or SyscallKind.Dup3 => a1 is >= 0 and <= 2 && a0 != a1,
            SyscallKind.FcntlDupfd => a2 is >= 0 and <= 2,
            _ => true,
        };
        if (!couldReachStdio)
            return null;
        string? exe = NativePath.ReadLink($"/proc/{tid}/exe");
        string comm = ProcComm.Read(tid) ?? "";
        if (exe is null || !IsInterpreter(exe, comm) || IsExempt(exe))
            return null;

        return kind switch
        {
            SyscallKind.Dup => LowestFreeFd(tid, 0) is int into and <= 2 ? SocketOnto(tid, comm, a0, into, "dup") : null,
            SyscallKind.Dup2 or SyscallKind.Dup3 => SocketOnto(tid, comm, a0, a1, SyscallClassifier.Name(kind)),
            SyscallKind.FcntlDupfd => LowestFreeFd(tid, a2) is int slot and <= 2 ? SocketOnto(tid, comm, a0, slot, "fcntl") : null,
            _ => null,
        };
    }

    /// <summary>
    /// A connect (i386: socketcall(SYS_CONNECT, args), whose three 32-bit words are in memory):
    /// on fd 0-2 of an interpreter, the fd 0-2 rule; by anyone else, the relay rule.
    /// </summary>
    private ControlFinding? DecideConnect(int tid, SyscallKind kind, in Libc.seccomp_data data)
    {
        int fd;
        ulong address;
        int length;
        if (kind == SyscallKind.Connect)
        {
            (fd, address, length) = (unchecked((int)(uint)ExecRequest.ArgAt(data, 0)), ExecRequest.ArgAt(data, 1),
                unchecked((int)(uint)ExecRequest.ArgAt(data, 2)));
        }
        else
        {
            Span<byte> words = stackalloc byte[12];
            if (ProcessMemory.TryRead(tid, ExecRequest.ArgAt(data, 1), words) != 0)
                return null;   // the kernel will answer EFAULT itself
            (fd, address, length) = (BinaryPrimitives.ReadInt32LittleEndian(words), BinaryPrimitives.ReadUInt32LittleEndian(words[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(words[8..]));
        }
        if (fd is >= 0 and <= 2 && NativePath.ReadLink($"/proc/{tid}/exe") is { } exe)
        {
            string comm = ProcComm.Read(tid) ?? "";
            if (IsInterpreter(exe, comm) && !IsExempt(exe))
                return ConnectOn(tid, comm, fd, address, length);
        }
        return RelayConnect(tid, address, length);
    }

    internal bool IsInterpreter(string executablePath, string invokedName)
    {
        if (ExecTarget.IsMultiCall(executablePath))
            return _policy.IsInterpreter(invokedName);
        return _policy.IsInterpreter(ExecTarget.LastComponent(executablePath)) || _policy.IsInterpreter(invokedName);
    }

    private bool IsExempt(string executablePath) => _policy.AllowedProcesses.Any(glob => glob.Matches(executablePath));

    private bool IsAllowed(IPAddress remote) => _policy.AllowedAddresses.Any(network => network.Contains(remote));

    private ControlFinding? SocketOnto(int tid, string comm, int oldFd, int newFd, string syscall)
    {
        if (ProcessDescriptors.InetSocketAt(tid, oldFd) is not { } socket || IsAllowed(socket.Remote.Address))
            return null;
        return new ControlFinding(ControlName,
            $"{syscall} of a {socket.Protocol} socket to {socket.RemoteText} onto fd {newFd} in {comm}")
        {
            Remote = socket.RemoteText,
        };
    }

    private ControlFinding? ConnectOn(int tid, string comm, int fd, ulong address, int length)
    {
        // The address only matters for the allowedAddresses exemption. It is read from memory the
        // caller's other threads could rewrite after this check; a shell that got connected that
        // way is still refused when it execs (kernel state, see Evaluate).
        if (ReadPeer(tid, address, length) is not { } remote || IsAllowed(remote.Address))
            return null;
        string text = Text(remote);
        return new ControlFinding(ControlName, $"connect of fd {fd} to {text} in {comm}") { Remote = text };
    }

    /// <summary>
    /// A connect on any fd, by any process: refused if the process relays into an interpreter
    /// that reads its commands from stdin (see <see cref="StdinRelay"/>). The peer is read from the
    /// caller's memory, which another thread could rewrite after this check: it only decides the
    /// loopback and allowedAddresses exemptions, and a shell started later is judged at its exec
    /// from kernel state.
    /// </summary>
    private ControlFinding? RelayConnect(int tid, ulong address, int length)
    {
        if (ReadPeer(tid, address, length) is not { } remote || !_relay.IsRemote(remote.Address))
            return null;
        int pid = ProcStatus.Read(tid)?.Tgid ?? tid;
        if (_relay.FedByConnect(pid, Text(remote)) is not { } found)
            return null;
        return new ControlFinding(ControlName,
            $"connect of {found.RelayName} to {found.Peer} would feed {found.InterpreterName} (pid {found.InterpreterPid}), " +
            $"which reads its commands from stdin, through {found.Via}")
        {
            Remote = found.Peer,
        };
    }

    /// <summary>
    /// At the exec event: an interpreter that reads its program from stdin, fed through a pipe,
    /// FIFO or pty by a process connected to a remote peer. Null if not.
    /// </summary>
    public ControlFinding? DecideRelayAtExec(int pid, ExecTarget target)
    {
        if (!_policy.Enabled || !IsInterpreter(target.CanonicalPath, target.InvokedName) || IsExempt(target.CanonicalPath))
            return null;
        string name = ExecTarget.ProgramName(target.CanonicalPath, target.InvokedName);
        if (ProcCmdline.ReadArgv(pid) is not { } argv || !InterpreterInput.ReadsProgramFromStdin(name, argv))
            return null;
        if (_relay.FeedingInterpreter(pid, name) is not { } found)
            return null;
        return new ControlFinding(ControlName,
            $"{name} reads its commands from stdin, fed through {found.Via} by {found.RelayName}" +
            (found.RelayPid > 0 ? $" (pid {found.RelayPid})" : "") + $" connected to {found.Peer}")
        {
            Remote = found.Peer,
        };
    }

    private static IPEndPoint? ReadPeer(int tid, ulong address, int length)
    {
        Span<byte> sockaddr = stackalloc byte[28];
        int read = Math.Clamp(length, 0, sockaddr.Length);
        if (read < 2 || ProcessMemory.TryRead(tid, address, sockaddr[..read]) != 0)
            return null;   // the kernel will answer EFAULT or EINVAL itself
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        return family switch
        {
            2 when read >= 8 => new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..])),
            10 when read >= 24 => new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16)), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..])),
            _ => null,
        };
    }

    private static string Text(IPEndPoint remote) =>
        remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{remote.Address}]:{remote.Port}" : remote.ToString();

    private static int? LowestFreeFd(int tid, int minimum)
    {
        for (int fd = minimum; fd <= 2; fd++)
        {
            if (!ProcessDescriptors.IsOpen(tid, fd))
                return fd;
        }
        return null;   // the result will be above 2
    }
}
