using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Network;
using Microsoft.Extensions.Logging;
using Xunit;
using static MicroEnforcer.Tests.Network.DnsTestMessages;

namespace MicroEnforcer.Tests.Network;

/// <summary>
/// The DNS gate on real loopback sockets, in this process, in front of a tiny DNS server
/// (<see cref="TestDnsServer"/>): clients connect to the gate as PID 1's performed connect
/// would have connected them, and the gate is told so (Expect) before they send.
/// </summary>
public sealed class DnsGateTests : IDisposable
{
    private static readonly DnsCaller Caller = new(42, 43, "/bin/busybox");

    private readonly TestDnsServer _server = new();
    private readonly ConcurrentQueue<Report> _reports = new();
    private readonly ErrorLog _log = new();
    private readonly List<IDisposable> _owned = [];
    private DnsGate? _gate;

    private sealed record Report(DnsCaller Caller, string Name, DomainMatch Match, IPEndPoint Upstream, bool Tcp, bool Refused);

    private sealed class Reports(ConcurrentQueue<Report> reports) : IDnsGateReports
    {
        public void Listed(DnsCaller caller, string name, DomainMatch match, IPEndPoint upstream, bool tcp, bool refused) =>
            reports.Enqueue(new Report(caller, name, match, upstream, tcp, refused));
    }

    /// <summary>The gate must never log an error: each one is a client it failed or a bug in its loop.</summary>
    private sealed class ErrorLog : ILogger
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
                Errors.Enqueue(formatter(state, exception) + " " + exception);
        }
    }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
            owned.Dispose();
        _gate?.Dispose();
        _server.Dispose();
        Assert.Empty(_log.Errors);
    }

    private DnsGate Gate(bool enforce) =>
        _gate = DnsGate.Start(name => name == "blocked.test" || name.EndsWith(".blocked.test", StringComparison.Ordinal)
            ? new DomainMatch("reputation", "blocked.test", enforce) : null, new Reports(_reports), _log);

    private Socket Own(Socket socket)
    {
        socket.ReceiveTimeout = 10_000;   // a guard against hanging the run, not an assertion
        _owned.Add(socket);
        return socket;
    }

    /// <summary>A UDP socket connected to the gate as PID 1 connects one that was connecting to the server.</summary>
    private Socket UdpClient(DnsGate gate, AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket socket = Own(new Socket(family, SocketType.Dgram, ProtocolType.Udp));
        socket.Connect(gate.ProxyFor(family, tcp: false)!);
        gate.Expect((IPEndPoint)socket.LocalEndPoint!, _server.Udp, tcp: false, Caller);
        return socket;
    }

    private Socket TcpClient(DnsGate gate, IPEndPoint? upstream = null)
    {
        Socket socket = Own(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        socket.Connect(gate.ProxyFor(AddressFamily.InterNetwork, tcp: true)!);
        gate.Expect((IPEndPoint)socket.LocalEndPoint!, upstream ?? _server.Tcp, tcp: true, Caller);
        return socket;
    }

    private static byte[] Ask(Socket socket, byte[] query)
    {
        socket.Send(query);
        return Receive(socket);
    }

    private static byte[] Receive(Socket socket)
    {
        byte[] buffer = new byte[65536];
        int n = socket.Receive(buffer);
        return buffer[..n];
    }

    private static byte[] ReceiveFrame(Socket socket)
    {
        byte[] prefix = new byte[2];
        Assert.True(TestDnsServer.ReadExactly(socket, prefix), "the stream ended before an answer");
        byte[] message = new byte[(prefix[0] << 8) | prefix[1]];
        Assert.True(TestDnsServer.ReadExactly(socket, message), "the stream ended inside an answer");
        return message;
    }

    [Fact]
    public void AnUnlistedNameIsAnsweredByTheServerThroughTheGate()
    {
        DnsGate gate = Gate(enforce: true);

        byte[] answer = Ask(UdpClient(gate), Query(0x1234, "www.unlisted.test"));

        Assert.Equal(0x1234, Id(answer));
        Assert.Equal(0, Rcode(answer));
        Assert.Equal(TestDnsServer.Answer(Query(0x1234, "www.unlisted.test")), answer);
        Assert.Equal(["www.unlisted.test"], _server.Asked);
        Assert.Empty(_reports);
    }

    [Fact]
    public void AListedNameAndItsSubdomainsAreNxdomainInEnforceModeAndNeverReachTheServer()
    {
        DnsGate gate = Gate(enforce: true);
        Socket client = UdpClient(gate);

        byte[] listed = Ask(client, Query(1, "blocked.test"));
        byte[] subdomain = Ask(client, Query(2, "Pool.BLOCKED.test"));
        byte[] after = Ask(client, Query(3, "after.test"));

        Assert.Equal((1, 3, 0), (Id(listed), Rcode(listed), Answers(listed)));
        Assert.Equal((2, 3, 0), (Id(subdomain), Rcode(subdomain), Answers(subdomain)));
        Assert.Equal((3, 0, 1), (Id(after), Rcode(after), Answers(after)));
        Assert.Equal(["after.test"], _server.Asked);   // the server answers in order: the refused ones were never sent
        Assert.Equal(
            [
                new Report(Caller, "blocked.test", new DomainMatch("reputation", "blocked.test", true), _server.Udp, false, true),
                new Report(Caller, "pool.blocked.test", new DomainMatch("reputation", "blocked.test", true), _server.Udp, false, true),
            ],
            _reports);
    }

    [Fact]
    public void InAuditModeAListedNameIsForwardedAndReported()
    {
        DnsGate gate = Gate(enforce: false);

        byte[] answer = Ask(UdpClient(gate), Query(5, "x.blocked.test"));

        Assert.Equal((5, 0, 1), (Id(answer), Rcode(answer), Answers(answer)));
        Assert.Equal(["x.blocked.test"], _server.Asked);
        Report report = Assert.Single(_reports);
        Assert.Equal(new Report(Caller, "x.blocked.test", new DomainMatch("reputation", "blocked.test", false), _server.Udp, false, false), report);
    }

    [Fact]
    public void ADatagramFromASocketTheGateWasNotToldOfGetsNothing()
    {
        DnsGate gate = Gate(enforce: true);
        Socket stranger = Own(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        stranger.Connect(gate.ProxyFor(AddressFamily.InterNetwork, tcp: false)!);
        stranger.Send(Query(1, "stranger.test"));
        Socket forgotten = UdpClient(gate);
        gate.Forget((IPEndPoint)forgotten.LocalEndPoint!, tcp: false);
        forgotten.Send(Query(2, "forgotten.test"));

        // Sent after the stranger's datagram, into the same socket of the gate, which reads in order.
        byte[] answer = Ask(UdpClient(gate), Query(3, "expected.test"));

        Assert.Equal(3, Id(answer));
        Assert.Equal(["expected.test"], _server.Asked);
        Assert.Equal(0, stranger.Available);
        Assert.Equal(0, forgotten.Available);
    }

    [Fact]
    public void WhatIsNotADnsQueryIsForwardedUnchangedAndItsReplyPassedBack()
    {
        DnsGate gate = Gate(enforce: true);
        byte[] notDns = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();

        byte[] reply = Ask(UdpClient(gate), notDns);

        Assert.Equal(notDns, reply);
        Assert.Equal(["(not a query)"], _server.Asked);
        Assert.Empty(_reports);
    }

    [Fact]
    public void AnIpv6SocketIsServedOnTheIpv6Loopback()
    {
        DnsGate gate = Gate(enforce: true);
        Assert.NotNull(gate.ProxyFor(AddressFamily.InterNetworkV6, tcp: false));   // this machine has ::1

        Socket client = UdpClient(gate, AddressFamily.InterNetworkV6);
        byte[] listed = Ask(client, Query(1, "blocked.test"));
        byte[] unlisted = Ask(client, Query(2, "v6.test"));

        Assert.Equal((1, 3), (Id(listed), Rcode(listed)));
        Assert.Equal((2, 0), (Id(unlisted), Rcode(unlisted)));
    }

    [Fact]
    public void OverTcpTwoQueriesInOneWriteAreAnsweredEachTheListedOneByTheGate()
    {
        DnsGate gate = Gate(enforce: true);
        Socket client = TcpClient(gate);

        client.Send([.. Framed(Query(10, "first.test")), .. Framed(Query(11, "mining.blocked.test")), .. Framed(Query(12, "third.test"))]);
        var answers = new[] { ReceiveFrame(client), ReceiveFrame(client), ReceiveFrame(client) }.ToDictionary(a => Id(a));

        Assert.Equal([10, 11, 12], answers.Keys.Select(id => (int)id).Order());
        Assert.Equal((0, 1), (Rcode(answers[10]), Answers(answers[10])));
        Assert.Equal((3, 0), (Rcode(answers[11]), Answers(answers[11])));
        Assert.Equal((0, 1), (Rcode(answers[12]), Answers(answers[12])));
        Assert.Equal(["first.test", "third.test"], _server.Asked);
        Assert.Equal(new Report(Caller, "mining.blocked.test", new DomainMatch("reputation", "blocked.test", true), _server.Tcp, true, true), Assert.Single(_reports));
    }

    [Fact]
    public void OverTcpAQuerySplitAcrossWritesIsJudgedWhole()
    {
        DnsGate gate = Gate(enforce: true);
        Socket client = TcpClient(gate);
        byte[] listed = Framed(Query(20, "split.blocked.test"));
        byte[] unlisted = Framed(Query(21, "split.unlisted.test"));
        byte[] stream = [.. listed, .. unlisted];

        // Cut in the length prefix, in a name, and between the two; the pauses only make it
        // likely that the gate reads the pieces apart (it must be right either way).
        foreach (Range piece in new[] { 0..1, 1..9, 9..listed.Length, listed.Length..(listed.Length + 5), (listed.Length + 5).. })
        {
            client.Send(stream[piece]);
            Thread.Sleep(20);
        }
        var answers = new[] { ReceiveFrame(client), ReceiveFrame(client) }.ToDictionary(a => Id(a));

        Assert.Equal(3, Rcode(answers[20]));
        Assert.Equal(0, Rcode(answers[21]));
        Assert.Equal(["split.unlisted.test"], _server.Asked);
    }

    [Fact]
    public void OverTcpAConnectionTheGateWasNotToldOfIsNotRelayed()
    {
        DnsGate gate = Gate(enforce: true);
        Socket stranger = Own(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        stranger.Connect(gate.ProxyFor(AddressFamily.InterNetwork, tcp: true)!);
        stranger.Send(Framed(Query(1, "stranger.test")));

        Socket client = TcpClient(gate);
        client.Send(Framed(Query(2, "expected.test")));
        byte[] answer = ReceiveFrame(client);

        Assert.Equal(2, Id(answer));
        Assert.Equal(["expected.test"], _server.Asked);
        Assert.Equal(0, stranger.Available);
    }

    [Fact]
    public void OverTcpLargeFramesThatAreNotQueriesPassBothWaysUnchanged()
    {
        DnsGate gate = Gate(enforce: true);
        Socket client = TcpClient(gate);
        byte[] large = new byte[40_000];
        new Random(53).NextBytes(large);
        large[2] |= 0x80;   // a response's header: no query

        client.Send([.. Framed(large), .. Framed(Query(60, "after.large.test"))]);

        Assert.Equal(large, ReceiveFrame(client));   // the server echoes what is not a query
        Assert.Equal(60, Id(ReceiveFrame(client)));
        Assert.Equal(["(not a query)", "after.large.test"], _server.Asked);
    }

    [Fact]
    public void OverTcpInAuditModeAListedNameIsForwardedAndReported()
    {
        DnsGate gate = Gate(enforce: false);
        Socket client = TcpClient(gate);

        client.Send(Framed(Query(30, "blocked.test")));
        byte[] answer = ReceiveFrame(client);

        Assert.Equal((30, 0, 1), (Id(answer), Rcode(answer), Answers(answer)));
        Assert.Equal(["blocked.test"], _server.Asked);
        Assert.Equal(new Report(Caller, "blocked.test", new DomainMatch("reputation", "blocked.test", false), _server.Tcp, true, false), Assert.Single(_reports));
    }

    [Fact]
    public void OverTcpAClientThatClosesItsSideAfterAskingStillGetsItsAnswersThenTheEnd()
    {
        DnsGate gate = Gate(enforce: true);
        Socket client = TcpClient(gate);

        client.Send([.. Framed(Query(40, "half.test")), .. Framed(Query(41, "half.blocked.test"))]);
        client.Shutdown(SocketShutdown.Send);
        var answers = new[] { ReceiveFrame(client), ReceiveFrame(client) }.ToDictionary(a => Id(a));

        Assert.Equal(0, Rcode(answers[40]));
        Assert.Equal(3, Rcode(answers[41]));
        Assert.Equal(0, client.Receive(new byte[16]));   // the server closed after the client's end; the gate passed it on
    }

    [Fact]
    public void OverTcpAServerThatRefusesTheConnectionResetsTheClients()
    {
        DnsGate gate = Gate(enforce: true);
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));   // bound, not listening: connecting is refused
        Socket client = TcpClient(gate, (IPEndPoint)closed.LocalEndPoint!);

        // The reset may come before the query is sent, or after.
        var refused = Record.Exception(() =>
        {
            client.Send(Framed(Query(50, "nobody.test")));
            client.Receive(new byte[16]);
        });

        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(refused).SocketErrorCode);
    }
}
