using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Network;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static MicroEnforcer.Tests.Network.DnsTestMessages;

namespace MicroEnforcer.Tests.Network;

/// <summary>
/// The gate in front of a real DNS server: Debian's dnsmasq (package dnsmasq-base), started on a
/// loopback port with a test zone, answering over UDP and TCP.
/// </summary>
public sealed class DnsGateDnsmasqTests : IDisposable
{
    private static readonly DnsCaller Caller = new(7, 7, "/usr/bin/getent");
    private static readonly byte[] UnlistedAddress = [192, 0, 2, 9], ListedAddress = [192, 0, 2, 66];

    private readonly Process _dnsmasq;
    private readonly IPEndPoint _server;
    private readonly List<Socket> _sockets = [];

    public DnsGateDnsmasqTests()
    {
        string dnsmasq = new[] { "/usr/sbin/dnsmasq", "/usr/bin/dnsmasq" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("dnsmasq is not installed: apt-get install dnsmasq-base");
        _server = new IPEndPoint(IPAddress.Loopback, FreePort());
        var start = new ProcessStartInfo(dnsmasq)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string argument in new[]
        {
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--pid-file=",
            "--bind-interfaces", "--listen-address=127.0.0.1", $"--port={_server.Port}",
            "--address=/unlisted.test/192.0.2.9", "--address=/blocked.test/192.0.2.66",
        })
            start.ArgumentList.Add(argument);
        _dnsmasq = Process.Start(start)!;
        WaitUntilAnswering();
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets)
            socket.Dispose();
        _dnsmasq.Kill();
        _dnsmasq.WaitForExit();
        _dnsmasq.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    // dnsmasq answers once it has bound; until then a query is refused (ICMP) or unanswered.
    private void WaitUntilAnswering()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        socket.Connect(_server);
        for (int attempt = 0; attempt < 150; attempt++)
        {
            if (_dnsmasq.HasExited)
                break;
            try
            {
                socket.Send(Query(1, "unlisted.test"));
                if (socket.Receive(new byte[512]) > 0)
                    return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"dnsmasq did not answer on {_server}: {(_dnsmasq.HasExited ? _dnsmasq.StandardError.ReadToEnd() : "still running")}");
    }

    private Socket Connected(DnsGate gate, bool tcp)
    {
        var socket = new Socket(AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram, tcp ? ProtocolType.Tcp : ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        _sockets.Add(socket);
        socket.Connect(gate.ProxyFor(AddressFamily.InterNetwork, tcp)!);
        gate.Expect((IPEndPoint)socket.LocalEndPoint!, _server, tcp, Caller);
        return socket;
    }

    private static byte[] Ask(Socket socket, byte[] query, bool tcp)
    {
        if (!tcp)
        {
            socket.Send(query);
            byte[] buffer = new byte[4096];
            return buffer[..socket.Receive(buffer)];
        }
        socket.Send(Framed(query));
        byte[] prefix = new byte[2];
        Assert.True(TestDnsServer.ReadExactly(socket, prefix));
        byte[] message = new byte[(prefix[0] << 8) | prefix[1]];
        Assert.True(TestDnsServer.ReadExactly(socket, message));
        return message;
    }

    private static DnsGate Gate(bool enforce) =>
        DnsGate.Start(name => name == "blocked.test" || name.EndsWith(".blocked.test", StringComparison.Ordinal)
            ? new DomainMatch("reputation", "blocked.test", enforce) : null, new NoReports(), NullLogger.Instance);

    private sealed class NoReports : IDnsGateReports
    {
        public void Listed(DnsCaller caller, string name, DomainMatch match, IPEndPoint upstream, bool tcp, bool refused)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DnsmasqAnswersUnlistedNamesAndTheGateRefusesListedOnes(bool tcp)
    {
        using DnsGate gate = Gate(enforce: true);
        Socket client = Connected(gate, tcp);

        byte[] unlisted = Ask(client, Query(1, "www.unlisted.test"), tcp);
        byte[] listed = Ask(client, Query(2, "www.blocked.test"), tcp);

        Assert.Equal((1, 0, 1), (Id(unlisted), Rcode(unlisted), Answers(unlisted)));
        Assert.Equal(UnlistedAddress, unlisted[^4..]);
        Assert.Equal((2, 3, 0), (Id(listed), Rcode(listed), Answers(listed)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InAuditModeDnsmasqAnswersTheListedName(bool tcp)
    {
        using DnsGate gate = Gate(enforce: false);

        byte[] listed = Ask(Connected(gate, tcp), Query(3, "www.blocked.test"), tcp);

        Assert.Equal((3, 0, 1), (Id(listed), Rcode(listed), Answers(listed)));
        Assert.Equal(ListedAddress, listed[^4..]);
    }
}
