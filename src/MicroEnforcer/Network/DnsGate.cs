using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Interop;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Network;

/// <summary>
/// A forwarding DNS proxy inside PID 1, on loopback, that refuses lookups of listed names. The
/// network gate (Controls) connects a workload's DNS socket here instead of to the server it
/// named (the connect PID 1 performs), and tells the gate which server that was
/// (<see cref="Expect"/>) before the workload's connect returns; the gate then forwards that
/// socket's queries to that server, and only there, answering a query for a listed name with
/// NXDOMAIN itself in enforce mode. This is how lookups that PID 1 never sees as a send are
/// judged: a write() on a connected socket (busybox nslookup, Go) and DNS over TCP.
///
/// One thread ("dns-gate") polls non-blocking sockets and never blocks elsewhere. A datagram or
/// connection from a socket the gate does not stand in for is dropped: the gate is no relay to
/// anywhere the workload could not connect to itself. What it holds is bounded (the constants
/// below and in <see cref="DnsUdpClients"/>): past a bound, the least recently active client
/// loses its state, or (TCP) connections wait in the listen backlog.
///
/// Not judged here: names reached through a CNAME in an answer (the answer is passed as it is;
/// IP reputation judges the addresses connected to), and a TCP stream that is not length-prefixed
/// DNS: it is cut into frames all the same, so a protocol that waits for an answer to a message
/// the prefix says is longer than what it sent stalls (no DNS client does).
/// </summary>
internal sealed class DnsGate : IDisposable
{
    /// <summary>TCP connections relayed at once (each holds up to 2 x 64 KiB); past it, new ones wait in the listen backlog.</summary>
    public const int MaxTcpConnections = 64;

    /// <summary>TCP expectations not yet claimed by an accepted connection; past it, the oldest is dropped.</summary>
    public const int MaxTcpExpectations = 4096;

    /// <summary>
    /// Accepted TCP connections waiting for their expectation (the network gate says it just
    /// after the connect, which the gate may accept first); past it, the oldest is closed. Apart
    /// from the relayed ones: the gate's port is reachable on loopback, and connections made to it
    /// directly (which no expectation will ever claim) must not take the relayed ones' places.
    /// </summary>
    public const int MaxUnclaimedConnections = 64;

    public static readonly TimeSpan ConnectionIdle = TimeSpan.FromSeconds(120);

    /// <summary>How long a TCP expectation waits for its connection to be accepted (a full backlog holds it back).</summary>
    public static readonly TimeSpan ClaimWait = TimeSpan.FromSeconds(30);

    /// <summary>How long an accepted connection waits for its expectation (the network gate says it microseconds after the connect).</summary>
    public static readonly TimeSpan ExpectationWait = TimeSpan.FromSeconds(5);

    private const int DatagramBatch = 64;   // per ready socket and wake-up: one busy client cannot starve the rest
    private const int PollTick = 1000;      // ms: expiry is checked this often while anything is held

    private readonly int _udp4, _udp6, _tcp4, _tcp6, _wake;
    private readonly IPEndPoint _udp4Address, _tcp4Address;
    private readonly IPEndPoint? _udp6Address, _tcp6Address;
    private readonly DnsQueryScreen _screen;
    private readonly ILogger _log;

    private readonly Lock _commandsLock = new();
    private List<Command> _commands = [];
    private List<Command> _applying = [];
    private volatile bool _commandsPending;

    // Owned by the gate's thread.
    private readonly DnsUdpClients _udpClients;
    private readonly Dictionary<IPEndPoint, (DnsExpectation Expectation, long Deadline)> _tcpExpected = [];
    private readonly List<DnsTcpRelay> _connections = [];
    private readonly List<(int Fd, IPEndPoint Peer, long Deadline)> _unclaimed = [];
    private readonly byte[] _datagram = new byte[65536];
    private Libc.pollfd[] _pollfds = new Libc.pollfd[64];
    private PollOwner[] _owners = new PollOwner[64];
    private int _strangers;
    private IPEndPoint? _lastStranger;
    private long _nextSweep;
    private bool _connectionLimitLogged;

    private volatile bool _stopping;
    private readonly ManualResetEventSlim _stopped = new();

    private readonly record struct Command(bool Expect, IPEndPoint Client, bool Tcp, DnsExpectation? Expectation);

    private struct PollOwner
    {
        public DnsUdpClient? Udp;
        public DnsTcpRelay? Connection;
        public bool Upstream;
    }

    private DnsGate(int udp4, int tcp4, int udp6, int tcp6, DnsQueryScreen screen, ILogger log)
    {
        (_udp4, _tcp4, _udp6, _tcp6, _screen, _log) = (udp4, tcp4, udp6, tcp6, screen, log);
        _udpClients = new DnsUdpClients(log);
        _udp4Address = GateSocket.LocalEndPoint(udp4);
        _tcp4Address = GateSocket.LocalEndPoint(tcp4);
        _udp6Address = udp6 >= 0 ? GateSocket.LocalEndPoint(udp6) : null;
        _tcp6Address = tcp6 >= 0 ? GateSocket.LocalEndPoint(tcp6) : null;
        _wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.O_NONBLOCK);
        if (_wake < 0)
            throw new SystemCallException("eventfd", Libc.LastErrno);
    }

    /// <summary>
    /// Binds the gate's UDP and TCP sockets on 127.0.0.1 and [::1] (ports chosen by the kernel)
    /// and starts its thread. Without an IPv6 loopback (IPv6 off in the container), the gate has
    /// no IPv6 side and <see cref="ProxyFor"/> says so.
    /// </summary>
    /// <exception cref="SystemCallException">127.0.0.1 could not be bound.</exception>
    public static DnsGate Start(Func<string, DomainMatch?> judge, IDnsGateReports reports, ILogger log)
    {
        int udp4 = GateSocket.Listen(IPAddress.Loopback, stream: false);
        int tcp4 = GateSocket.Listen(IPAddress.Loopback, stream: true);
        int udp6 = -1, tcp6 = -1;
        try
        {
            udp6 = GateSocket.Listen(IPAddress.IPv6Loopback, stream: false);
            tcp6 = GateSocket.Listen(IPAddress.IPv6Loopback, stream: true);
        }
        catch (SystemCallException e)
        {
            if (udp6 >= 0)
                Libc.Close(udp6);
            udp6 = -1;
            DnsGateLog.NoIpv6(log, e.Message);
        }
        var gate = new DnsGate(udp4, tcp4, udp6, tcp6, new DnsQueryScreen(judge, reports), log);
        DnsGateLog.Started(log, gate._udp4Address, gate._udp6Address?.ToString() ?? "no IPv6", gate._tcp4Address, gate._tcp6Address?.ToString() ?? "no IPv6");
        NamedThread.Start("dns-gate", gate.Run);
        return gate;
    }

    /// <summary>
    /// Where to connect a socket of <paramref name="callerFamily"/> instead of a DNS server; null
    /// when the gate has no side of that family (IPv6 off). An AF_INET6 socket connecting to an
    /// IPv4-mapped server is asked for as InterNetwork and connected to the mapped address.
    /// </summary>
    public IPEndPoint? ProxyFor(AddressFamily callerFamily, bool tcp) => callerFamily switch
    {
        AddressFamily.InterNetwork => tcp ? _tcp4Address : _udp4Address,
        AddressFamily.InterNetworkV6 => tcp ? _tcp6Address : _udp6Address,
        _ => null,
    };

    /// <summary>
    /// The caller's socket, bound at <paramref name="clientLocal"/> (its getsockname), is now
    /// connected to the gate in <paramref name="upstream"/>'s place. Called before the caller's
    /// connect returns, so before it can send anything; a UDP socket connected again to the gate
    /// (another server) replaces its expectation. A TCP expectation is claimed by the one
    /// connection from that address, or dropped after <see cref="ClaimWait"/>.
    /// </summary>
    public void Expect(IPEndPoint clientLocal, IPEndPoint upstream, bool tcp, DnsCaller caller)
    {
        Enqueue(new Command(true, Normalize(clientLocal), tcp, new DnsExpectation(Normalize(upstream), caller)));
        // A TCP connection may be accepted already, waiting for this: wake the gate to pair them.
        // A UDP datagram cannot come before this returns; the gate reads the queue before it
        // reads a datagram.
        if (tcp)
            Wake();
    }

    /// <summary>The caller's UDP socket was connected elsewhere (or closed): its traffic is no longer the gate's.</summary>
    public void Forget(IPEndPoint clientLocal, bool tcp) => Enqueue(new Command(false, Normalize(clientLocal), tcp, null));

    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    private void Enqueue(Command command)
    {
        lock (_commandsLock)
        {
            _commands.Add(command);
            _commandsPending = true;
        }
    }

    private unsafe void Wake()
    {
        ulong one = 1;
        Libc.Write(_wake, (byte*)&one, sizeof(ulong));
    }

    private void Run()
    {
        while (!_stopping)
        {
            try
            {
                RunOnce();
            }
            catch (Exception e)
            {
                // Every client's failure is caught nearer; this is the gate's own (a bug). It
                // must not end the thread: lookups would then hang instead of failing one.
                DnsGateLog.LoopFailed(_log, e);
                Thread.Sleep(100);
            }
        }
        _stopped.Set();
    }

    private unsafe void RunOnce()
    {
        ApplyCommands();
        long now = Environment.TickCount64;
        if (now >= _nextSweep)
        {
            Sweep(now);
            _nextSweep = now + PollTick;
        }
        int count = BuildPollSet();
        bool holding = _udpClients.Count > 0 || _tcpExpected.Count > 0 || _connections.Count > 0 || _unclaimed.Count > 0;
        int ready;
        fixed (Libc.pollfd* p = _pollfds)
            ready = Libc.Poll(p, (nuint)count, holding ? PollTick : -1);
        if (ready <= 0)
            return;   // timeout, or EINTR
        for (int i = 0; i < count; i++)
        {
            short revents = _pollfds[i].revents;
            if (revents == 0)
                continue;
            int fd = _pollfds[i].fd;
            PollOwner owner = _owners[i];
            if (fd == _wake)
                DrainWake();
            else if (fd == _udp4 || fd == _udp6)
                ReceiveQueries(fd);
            else if (fd == _tcp4 || fd == _tcp6)
                AcceptConnections(fd);
            else if (owner.Udp is { } client && client.Upstream == fd)
                ReceiveAnswers(client);
            else if (owner.Connection is { Finished: false } connection)
                Drive(connection, owner.Upstream, revents);
        }
        CloseFinished();
    }

    private int BuildPollSet()
    {
        int count = 0;
        Add(_wake, Libc.POLLIN, default);
        Add(_udp4, Libc.POLLIN, default);
        Add(_udp6, Libc.POLLIN, default);
        bool room = _connections.Count < MaxTcpConnections;
        if (!room && !_connectionLimitLogged)
        {
            DnsGateLog.LimitReached(_log, "TCP connections", MaxTcpConnections, "new ones wait in the listen backlog");
            _connectionLimitLogged = true;
        }
        _connectionLimitLogged &= !room;
        if (room)
        {
            Add(_tcp4, Libc.POLLIN, default);
            Add(_tcp6, Libc.POLLIN, default);
        }
        foreach (DnsUdpClient client in _udpClients.WithUpstream)
            Add(client.Upstream, Libc.POLLIN, new PollOwner { Udp = client });
        foreach (DnsTcpRelay connection in _connections)
        {
            // A side with nothing wanted is left out (poll skips a negative fd): a hung-up socket
            // would otherwise wake the loop again and again with POLLHUP.
            short events = connection.ClientEvents;
            Add(events != 0 ? connection.Client : -1, events, new PollOwner { Connection = connection });
            events = connection.UpstreamEvents;
            Add(events != 0 ? connection.Upstream : -1, events, new PollOwner { Connection = connection, Upstream = true });
        }
        return count;

        void Add(int fd, short events, PollOwner owner)
        {
            if (fd < 0 && owner.Connection is null)
                return;
            if (count == _pollfds.Length)
            {
                Array.Resize(ref _pollfds, count * 2);
                Array.Resize(ref _owners, count * 2);
            }
            _pollfds[count] = new Libc.pollfd { fd = fd, events = events };
            _owners[count++] = owner;
        }
    }

    private unsafe void DrainWake()
    {
        ulong value;
        Libc.Read(_wake, (byte*)&value, sizeof(ulong));
    }

    private void ApplyCommands()
    {
        lock (_commandsLock)
        {
            (_commands, _applying) = (_applying, _commands);
            _commandsPending = false;
        }
        long now = Environment.TickCount64;
        foreach (Command command in _applying)
        {
            if (command.Tcp && command.Expect)
            {
                if (_tcpExpected.Count >= MaxTcpExpectations && !_tcpExpected.ContainsKey(command.Client))
                    _tcpExpected.Remove(_tcpExpected.MinBy(e => e.Value.Deadline).Key);
                _tcpExpected[command.Client] = (command.Expectation!, now + (long)ClaimWait.TotalMilliseconds);
            }
            else if (command.Tcp)
            {
                _tcpExpected.Remove(command.Client);
            }
            else if (command.Expect)
            {
                _udpClients.Expect(command.Client, command.Expectation!);
            }
            else
            {
                _udpClients.Forget(command.Client);
            }
        }
        _applying.Clear();
        ClaimWaitingConnections();
    }

    private void ReceiveQueries(int listener)
    {
        for (int i = 0; i < DatagramBatch; i++)
        {
            int n = GateSocket.ReceiveFrom(listener, _datagram, out IPEndPoint? source);
            if (n < 0)
                return;   // EAGAIN: drained
            if (source is null)
                continue;
            // What the network gate said before this datagram was sent (an expectation, a Forget)
            // is applied before it is read: the caller's connect returned only after it was said.
            if (_commandsPending)
                ApplyCommands();
            if (!_udpClients.TryFind(source, out DnsUdpClient? client))
            {
                _strangers++;
                _lastStranger = source;
                continue;
            }
            try
            {
                client.LastActive = Environment.TickCount64;
                ReadOnlySpan<byte> query = _datagram.AsSpan(0, n);
                if (_screen.Screen(query, client.Expectation, tcp: false) is { } refusal)
                    GateSocket.SendTo(listener, refusal, source);
                else
                    _udpClients.Forward(client, query);
            }
            catch (Exception e)
            {
                DnsGateLog.ClientFailed(_log, source, e);
            }
        }
    }

    private void ReceiveAnswers(DnsUdpClient client)
    {
        int listener = client.Address.AddressFamily == AddressFamily.InterNetworkV6 ? _udp6 : _udp4;
        for (int i = 0; i < DatagramBatch; i++)
        {
            // A connected UDP socket takes only its server's datagrams; an ICMP error (the
            // server's port closed) comes as a failed receive and is passed on as silence.
            int n = GateSocket.Receive(client.Upstream, _datagram);
            if (n < 0)
                return;
            client.LastActive = Environment.TickCount64;
            GateSocket.SendTo(listener, _datagram.AsSpan(0, n), client.Address);
        }
    }

    private void AcceptConnections(int listener)
    {
        while (_connections.Count < MaxTcpConnections)
        {
            int fd = GateSocket.Accept(listener, out IPEndPoint? peer);
            if (fd < 0)
                return;
            if (peer is null)
            {
                Libc.Close(fd);
                continue;
            }
            peer = Normalize(peer);
            if (TryClaim(fd, peer))
                continue;
            if (_unclaimed.Count >= MaxUnclaimedConnections)
            {
                Libc.Close(_unclaimed[0].Fd);
                _unclaimed.RemoveAt(0);
            }
            _unclaimed.Add((fd, peer, Environment.TickCount64 + (long)ExpectationWait.TotalMilliseconds));
        }
    }

    private void ClaimWaitingConnections()
    {
        for (int i = _unclaimed.Count - 1; i >= 0; i--)
        {
            if (TryClaim(_unclaimed[i].Fd, _unclaimed[i].Peer))
                _unclaimed.RemoveAt(i);
        }
    }

    private bool TryClaim(int fd, IPEndPoint peer)
    {
        if (!_tcpExpected.Remove(peer, out var expected))
            return false;
        var connection = new DnsTcpRelay(fd, peer, expected.Expectation);
        if (!connection.Connect(out int errno))
        {
            DnsGateLog.UpstreamFailed(_log, peer, expected.Expectation.Upstream, Libc.DescribeErrno(errno));
            connection.Close();
            return true;
        }
        _connections.Add(connection);
        return true;
    }

    private void Drive(DnsTcpRelay connection, bool upstream, short revents)
    {
        try
        {
            if (upstream)
                connection.OnUpstream(revents);
            else
                connection.OnClient(revents, _screen);
        }
        catch (Exception e)
        {
            DnsGateLog.ClientFailed(_log, connection.Peer, e);
            connection.Fail();
        }
    }

    private void CloseFinished()
    {
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            DnsTcpRelay connection = _connections[i];
            if (!connection.Finished)
                continue;
            if (connection.Refused)
                DnsGateLog.UpstreamFailed(_log, connection.Peer, connection.Expectation.Upstream, "connect refused or failed");
            connection.Close();
            _connections.RemoveAt(i);
        }
    }

    private void Sweep(long now)
    {
        _udpClients.Expire(now);
        if (_tcpExpected.Count > 0)
        {
            foreach (IPEndPoint expired in _tcpExpected.Where(e => e.Value.Deadline <= now).Select(e => e.Key).ToList())
                _tcpExpected.Remove(expired);
        }
        for (int i = _unclaimed.Count - 1; i >= 0; i--)
        {
            if (_unclaimed[i].Deadline <= now)
            {
                Libc.Close(_unclaimed[i].Fd);   // a connection to the gate that no connect of the workload's was redirected to
                _unclaimed.RemoveAt(i);
            }
        }
        foreach (DnsTcpRelay connection in _connections)
        {
            if (now - connection.LastActive > (long)ConnectionIdle.TotalMilliseconds)
                connection.Fail();
        }
        CloseFinished();
        if (_strangers > 0)
        {
            DnsGateLog.Strangers(_log, _strangers, _lastStranger!);
            _strangers = 0;
        }
    }

    /// <summary>Stops the thread and closes every socket (tests; PID 1's gate lives as long as it does).</summary>
    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (!_stopped.Wait(TimeSpan.FromSeconds(5)))
            return;   // the thread is stuck: its sockets stay open rather than be closed under it
        _udpClients.CloseAll();
        foreach (DnsTcpRelay connection in _connections)
            connection.Close();
        foreach ((int fd, _, _) in _unclaimed)
            Libc.Close(fd);
        foreach (int fd in new[] { _udp4, _tcp4, _udp6, _tcp6, _wake })
        {
            if (fd >= 0)
                Libc.Close(fd);
        }
    }
}
