using System.Net;
using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Port Scanning Detection (audit only): it never objects (<see cref="Judge"/> is always
/// CONTINUE, and only notes what the call tries and who makes it); once the
/// <see cref="NetworkGate"/> performed the call, it counts the call's targets, with its result,
/// for the process and its parent (<see cref="ScanDetector"/>), and reports a process that tried
/// distinctPorts ports of one host, or one port on distinctHosts hosts, within the window, once
/// per window, the moment it does. A call another control refuses is not counted (it was not made).
///
/// What counts as a try, a target (host, port) the process reaches out to:
/// <list type="bullet">
/// <item>a connect, whatever its result (refused, in progress, done): TCP, and datagram sockets
/// that are not server sockets (below); port 0 is no target (nothing is sent to it);</item>
/// <item>a raw packet (nmap -sS, -sU as root): the destination and port its own IP and TCP/UDP
/// header name, each message of a sendmmsg; other protocols (ICMP) count as the host's port 0,
/// so a ping sweep is a host sweep;</item>
/// <item>a datagram sent with an address of its own (sendto, msg_name) on a socket that is not a
/// server socket; TCP only with MSG_FASTOPEN (a connect). A send to the connected peer is not: its
/// connect was counted.</item>
/// </list>
/// A server socket is a datagram socket bound to a port outside the kernel's ephemeral range
/// (net.ipv4.ip_local_port_range, read once): a UDP server answers each client at the client's
/// own port (a DNS server's answers go to as many ports as it has lookups), and it does so from
/// the port it listens on, which it bound. A client's socket gets its port from the ephemeral
/// range, when it sends first or binds port 0. So a server's answers are not tries; the price is
/// that a UDP scanner that binds a fixed low source port first, or a UDP server listening on a
/// port inside the ephemeral range, are judged the other way. TCP servers send to their accepted
/// connections' peers, which never counts.
///
/// A process's parent is read from /proc/TID/status (once a second per thread at most), and its tries count for the
/// parent too (not for PID 1, the enforcer): a shell loop of <c>nc -z</c>, one process per port,
/// is the shell's scan. A report names the process (pid, exe, cmdline), the count of distinct
/// targets, the first ten of them and how many failed at once.
/// </summary>
internal sealed class PortScanDetection(PortScanPolicy policy, Outcome outcome) : INetworkControl
{
    public const string ControlName = "portScanDetection";

    private const int MaxCallers = 1024;

    private const int EALREADY = 114;   // a non-blocking connect asked again while it is in progress

    private readonly ScanDetector _detector = new(policy.Window, policy.DistinctPorts, policy.DistinctHosts);
    private readonly Lazy<(int First, int Last)> _ephemeral = new(EphemeralPorts);

    // Who made a call, by thread: read once a second at most (a client's thousand connects are
    // one read), and when the call is judged, while the caller waits (see Judge).
    private readonly Dictionary<int, (ProcStatus Status, long ReadAt)> _callers = [];
    private readonly Lock _callersLock = new();

    public string Name => ControlName;

    public EnforcementMode Mode => EnforcementMode.Audit;

    /// <summary>
    /// Never objects. Reads who makes a call that tries a target now, while the caller waits: a
    /// call that may block is completed on a worker thread after the caller was answered, and a
    /// one-port probe (<c>nc</c>) may have exited by then.
    /// </summary>
    public SyscallVerdict Judge(NetworkCall call)
    {
        // Roughly the calls Targets counts (a server's answers too: the read is cached anyway).
        if (call.Operation == NetworkOperation.Connect || (call.Operation == NetworkOperation.Send
            && (call.ExplicitDestination || call.Socket.Type == Libc.SOCK_RAW)))
            Caller(call.Tid);
        return SyscallVerdict.Continue;
    }

    public void Completed(NetworkCall call, long result)
    {
        bool failed = result < 0 && result is not (-Libc.EINPROGRESS) and not (-EALREADY) and not (-Libc.EAGAIN) and not (-Libc.EINTR);
        ProcStatus? caller = null;
        foreach (IPEndPoint target in Targets(call))
        {
            caller ??= Caller(call.Tid);
            if (caller is not { } known)
                return;   // gone before it was judged
            if (_detector.Observe(known.Tgid, known.PPid, target, failed) is { } scan)
                Report(call, known, scan);
        }
    }

    // The thread's status, from the cache when read within the last second. A tid reused within
    // a second (a pid space wrapped) or a parent that died since would be misattributed for that second.
    private ProcStatus? Caller(int tid)
    {
        long now = Environment.TickCount64;
        lock (_callersLock)
        {
            if (_callers.TryGetValue(tid, out var cached) && now - cached.ReadAt < 1000)
                return cached.Status;
        }
        if (ProcStatus.Read(tid) is not { } status)
            return null;
        lock (_callersLock)
        {
            if (_callers.Count >= MaxCallers)
                _callers.Clear();
            _callers[tid] = (status, now);
        }
        return status;
    }

    // The targets the call tried, as the class comment says; none for what is not a try.
    private IEnumerable<IPEndPoint> Targets(NetworkCall call)
    {
        CallerSocket socket = call.Socket;
        if (socket.Type == Libc.SOCK_RAW)
        {
            if (call.Operation != NetworkOperation.Send)
                yield break;
            if (call.Remote is { } first)
                yield return Normalised(first, socket);
            for (int i = 1; i < call.Messages.Count; i++)
            {
                OutgoingMessage message = call.Messages[i];
                if (RawPacket.Destination(message.Data, socket, message.Destination) is { } packet)
                    yield return Normalised(packet, socket);
            }
            yield break;
        }

        bool stream = socket.Type == Libc.SOCK_STREAM;
        bool counted = call.Operation switch
        {
            NetworkOperation.Connect => true,
            NetworkOperation.Send => call.ExplicitDestination && (!stream || (call.Flags & Libc.MSG_FASTOPEN) != 0),
            _ => false,
        };
        if (!counted || (socket.Transport == "udp" && IsServerSocket(socket)))
            yield break;
        if (call.Remote is null)
            yield break;
        IEnumerable<IPEndPoint> remotes = [call.Remote, .. call.Messages.Skip(1).Select(m => m.Destination).OfType<IPEndPoint>()];
        foreach (IPEndPoint remote in remotes)
        {
            IPEndPoint target = Normalised(remote, socket);
            if (target.Port > 0 || !IsPortProtocol(socket))
                yield return target;
        }
    }

    private static bool IsPortProtocol(CallerSocket socket) => socket.Transport is "tcp" or "udp";

    // A protocol without ports (ICMP, raw IP) tries the host: its port 0, whatever the sockaddr's port field held.
    private static IPEndPoint Normalised(IPEndPoint target, CallerSocket socket) =>
        target.Port == 0 || socket.Type == Libc.SOCK_RAW || IsPortProtocol(socket) ? target : new IPEndPoint(target.Address, 0);

    private bool IsServerSocket(CallerSocket socket)
    {
        if (socket.Local() is not { Port: > 0 } local)
            return false;
        (int first, int last) = _ephemeral.Value;
        return local.Port < first || local.Port > last;
    }

    private void Report(NetworkCall call, ProcStatus caller, ScanDetection scan)
    {
        string window = PolicyDuration.Format(policy.Window);
        string what = scan.Host is { } host
            ? $"tried {scan.Crossed} distinct ports of {host} within {window} (a port scan)"
            : $"tried {scan.Crossed} distinct hosts on port {scan.Port} within {window} (a host sweep)";
        if (scan.ByChildren)
        {
            // The child may be gone (a call performed on a worker is counted after its answer).
            string child = NativePath.ReadLink($"/proc/{call.Tid}/exe") is { } exe ? $"pid {caller.Tgid}, {exe}" : $"pid {caller.Tgid}";
            what = $"its child processes (the latest: {child}) {what}";
        }
        string reason = $"{what}: {scan.Count} distinct targets in the window, {scan.Failures} failed at once; the first: {string.Join(", ", scan.Sample)}";
        // The caller waits in its call while this runs, unless the call was performed on a worker.
        ProcessSnapshot process = ProcessSnapshot.Take(scan.ByChildren ? scan.Pid : call.Tid);
        if (!scan.ByChildren && process.Status is null)
            process = process with { Status = caller };   // answered and gone already: what Judge read
        outcome.Reported(process, new ControlFinding(ControlName, reason), call.Syscall, count: scan.Count,
            targets: new ScanTargets(scan.Count, scan.Sample, scan.Failures));
    }

    // The kernel's ephemeral port range, "32768\t60999" (its default when unreadable).
    private static (int First, int Last) EphemeralPorts()
    {
        Span<byte> buffer = stackalloc byte[64];
        int n = ProcFile.ReadOnce("/proc/sys/net/ipv4/ip_local_port_range", buffer);
        if (n > 0)
        {
            string[] fields = System.Text.Encoding.ASCII.GetString(buffer[..n]).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2 && int.TryParse(fields[0], out int first) && int.TryParse(fields[1], out int last) && first <= last)
                return (first, last);
        }
        return (32768, 60999);
    }
}
