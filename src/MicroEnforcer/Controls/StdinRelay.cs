using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// A shell fed from the network through a relay: the interpreter reads its commands from its
/// stdin, and that stdin is a pipe, a FIFO or a pty whose other end is held by a process holding
/// an INET socket connected to a remote peer (`cat f | sh -i | nc H P > f`, `nc H P | sh | nc H
/// P2`, a forkpty relay as socat's `exec:sh,pty` and python's pty.spawn are). The socket is never
/// on the shell's fds, so the fd 0-2 rule cannot see it.
///
/// The search follows the data towards the shell: from the shell's stdin to the processes that
/// write into that pipe or FIFO (or hold the pty's master), and from each of those to the pipes,
/// FIFOs and ptys they read, up to <see cref="MaxHops"/> processes away (the FIFO form has two: nc
/// writes the FIFO that cat reads into the shell's pipe). It runs when an interpreter that reads
/// its stdin execs (upstream), and when a process connects to a remote peer (downstream: the
/// relay may connect after the shell started). A socket to a loopback peer is not remote, and
/// neither is a peer in allowedAddresses; a process in allowedProcesses is not followed.
///
/// What a search sees is a snapshot of /proc; what it misses by a race is caught by the other
/// one, since both run on the notify loop's thread, one at a time. The streams a relay writes
/// into when its connect is let through are remembered as fed from the network: its socket may
/// not show a peer in /proc yet when the shell execs, and it may have exited by then.
/// </summary>
internal sealed class StdinRelay(Func<IPAddress, bool> exemptPeer, Func<string, bool> exemptProcess, Func<string, string, bool> isInterpreter)
{
    private const int MaxHops = 3;

    // Streams a process wrote into when its connect to a remote peer was let through: the data
    // they carry came from that peer, even once the relay has exited (`wget -O- URL | sh` may
    // finish before sh starts). Pipe inodes are not reused while any process holds the pipe.
    // Bounded: the oldest go first.
    private readonly Dictionary<StreamKey, string> _fedFromNetwork = [];
    private readonly Queue<StreamKey> _fedOrder = new();
    private const int MaxRemembered = 4096;

    /// <summary>What was found: the relay that holds the connection, the interpreter it feeds, how.</summary>
    internal sealed record Finding(int RelayPid, string RelayName, string Peer, int InterpreterPid, string InterpreterName, string Via);

    /// <summary>
    /// At the exec event of <paramref name="pid"/>, an interpreter named <paramref name="name"/>
    /// that reads its program from stdin: is its stdin fed from a remote peer?
    /// </summary>
    public Finding? FeedingInterpreter(int pid, string name)
    {
        List<StreamHandle> own = OpenFiles.Read(pid);
        int index = own.FindIndex(h => h.Fd == 0);
        if (index < 0 || own[index].Stream.Kind is not (StreamKind.Pipe or StreamKind.PtySlave))
            return null;   // a socket on stdin is the fd 0-2 rule's; a file or nothing feeds no one
        StreamHandle stdin = own[index];
        OpenFiles files = OpenFiles.Scan(Environment.ProcessId);
        Dictionary<ulong, InetSocket>? sockets = null;
        var visited = new HashSet<int> { pid };
        var frontier = new List<StreamKey> { stdin.Stream };
        for (int hop = 0; hop < MaxHops && frontier.Count > 0; hop++)
        {
            var next = new List<StreamKey>();
            foreach (StreamKey stream in frontier)
            {
                if (_fedFromNetwork.TryGetValue(stream, out string? fedBy))
                    return new Finding(0, "a relay that has exited", fedBy, pid, name, Describe(stdin.Stream));
                foreach (StreamHandle feeder in Feeders(files, stream))
                {
                    if (!visited.Add(feeder.Pid) || Exempt(feeder.Pid))
                        continue;
                    sockets ??= SocketTable.ReadAll(pid);
                    if (RemotePeer(files, sockets, feeder.Pid) is { } peer)
                        return new Finding(feeder.Pid, NameOf(feeder.Pid), peer, pid, name, Describe(stdin.Stream));
                    next.AddRange(Inputs(files, feeder.Pid));
                }
            }
            frontier = next;
        }
        return null;
    }

    /// <summary>
    /// A connect of <paramref name="pid"/> (a process id; a thread's reads its process) to the
    /// remote <paramref name="peer"/>: does it feed an interpreter that reads its stdin?
    /// </summary>
    public Finding? FedByConnect(int pid, string peer)
    {
        List<StreamHandle> own = OpenFiles.Read(pid);
        HashSet<StreamKey> outsideStdio = ContainerStdio();
        if (!own.Any(h => FeedsAnother(h) && !outsideStdio.Contains(h.Stream)))
            return null;   // nothing it could write into a shell (its stdout is the container's log): no scan
        if (Exempt(pid))
            return null;
        OpenFiles files = OpenFiles.Scan(Environment.ProcessId);
        var visited = new HashSet<int> { pid };
        var frontier = Outputs(files, pid, outsideStdio).ToList();
        for (int hop = 0; hop < MaxHops && frontier.Count > 0; hop++)
        {
            var next = new List<StreamKey>();
            foreach (StreamKey stream in frontier)
            {
                foreach (StreamHandle consumer in Consumers(files, stream))
                {
                    if (consumer.Pid == pid)
                        continue;
                    if (consumer.Fd == 0 && StdinInterpreter(consumer.Pid) is { } name)
                        return new Finding(pid, NameOf(pid), peer, consumer.Pid, name, Describe(stream));
                    if (visited.Add(consumer.Pid) && !Exempt(consumer.Pid))
                        next.AddRange(Outputs(files, consumer.Pid, outsideStdio));
                }
            }
            frontier = next;
        }
        Remember(Outputs(files, pid, outsideStdio), peer);
        return null;
    }

    private void Remember(IEnumerable<StreamKey> streams, string peer)
    {
        foreach (StreamKey stream in streams)
        {
            if (_fedFromNetwork.TryAdd(stream, peer))
                _fedOrder.Enqueue(stream);
        }
        while (_fedOrder.Count > MaxRemembered)
            _fedFromNetwork.Remove(_fedOrder.Dequeue());
    }

    /// <summary>A process that writes into the stream: pipe writers; for a pty slave, the master's holders.</summary>
    private static IEnumerable<StreamHandle> Feeders(OpenFiles files, StreamKey stream) => stream.Kind switch
    {
        StreamKind.Pipe => files.Holders(stream).Where(h => h.Writes),
        StreamKind.PtySlave => files.Holders(stream with { Kind = StreamKind.PtyMaster }),
        _ => [],
    };

    /// <summary>A process that reads the stream: pipe readers; for a pty master, the slave's holders.</summary>
    private static IEnumerable<StreamHandle> Consumers(OpenFiles files, StreamKey stream) => stream.Kind switch
    {
        StreamKind.Pipe => files.Holders(stream).Where(h => h.Reads),
        StreamKind.PtyMaster => files.Holders(stream with { Kind = StreamKind.PtySlave }),
        _ => [],
    };

    /// <summary>What a process reads that another could write: pipes it reads, pty slaves (their master writes them).</summary>
    private static IEnumerable<StreamKey> Inputs(OpenFiles files, int pid) =>
        files.Of(pid).Where(h => (h.Stream.Kind == StreamKind.Pipe && h.Reads) || h.Stream.Kind == StreamKind.PtySlave).Select(h => h.Stream).Distinct();

    /// <summary>What a process writes that another could read: pipes it writes, pty masters.</summary>
    private static IEnumerable<StreamKey> Outputs(OpenFiles files, int pid, HashSet<StreamKey> outsideStdio) =>
        files.Of(pid).Where(h => FeedsAnother(h) && !outsideStdio.Contains(h.Stream)).Select(h => h.Stream).Distinct();

    private static bool FeedsAnother(StreamHandle handle) =>
        (handle.Stream.Kind == StreamKind.Pipe && handle.Writes) || handle.Stream.Kind == StreamKind.PtyMaster;

    /// <summary>
    /// The pipes PID 1's own stdout and stderr are: the container's log, read outside the
    /// container. Every process that logs holds them; they feed no shell inside.
    /// </summary>
    // PID 1's own stdout and stderr (the container's log) do not change after the start: read once
    // (on the notify loop's thread only), not on every connect.
    private HashSet<StreamKey> ContainerStdio() =>
        _containerStdio ??= [.. OpenFiles.Read(Environment.ProcessId).Where(h => h.Fd is 1 or 2 && h.Stream.Kind == StreamKind.Pipe).Select(h => h.Stream)];

    private HashSet<StreamKey>? _containerStdio;

    private string? RemotePeer(OpenFiles files, Dictionary<ulong, InetSocket> sockets, int pid)
    {
        foreach (StreamHandle handle in files.Of(pid))
        {
            if (handle.Stream.Kind == StreamKind.Socket && sockets.TryGetValue(handle.Stream.Inode, out InetSocket? socket) &&
                socket.Remote.Port != 0 && IsRemote(socket.Remote.Address))
                return socket.RemoteText;
        }
        return null;
    }

    /// <summary>A peer the rule counts: not unset, not loopback, not exempted by the policy.</summary>
    public bool IsRemote(IPAddress address)
    {
        IPAddress plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !plain.Equals(IPAddress.Any) && !plain.Equals(IPAddress.IPv6Any) && !IPAddress.IsLoopback(plain) && !exemptPeer(plain);
    }

    private string? StdinInterpreter(int pid)
    {
        string? exe = NativePath.ReadLink($"/proc/{pid}/exe");
        if (exe is null || ProcCmdline.ReadArgv(pid) is not [var argv0, ..] argv)
            return null;
        // A multi-call binary by its argv[0]: busybox's own execs leave comm "exe" for a while.
        string invoked = ExecTarget.IsMultiCall(exe) ? ExecTarget.LastComponent(argv0) : ProcComm.Read(pid) ?? "";
        if (!isInterpreter(exe, invoked) || exemptProcess(exe))
            return null;
        string name = ExecTarget.ProgramName(exe, invoked);
        return InterpreterInput.ReadsProgramFromStdin(name, argv) ? name : null;
    }

    private bool Exempt(int pid) => NativePath.ReadLink($"/proc/{pid}/exe") is { } exe && exemptProcess(exe);

    private static string NameOf(int pid) => ProcComm.Read(pid) ?? "?";

    private static string Describe(StreamKey stream) => stream.Kind switch
    {
        StreamKind.Pipe => "a pipe or FIFO",
        StreamKind.PtySlave or StreamKind.PtyMaster => $"pty {stream.Inode}",
        _ => "a socket",
    };
}
