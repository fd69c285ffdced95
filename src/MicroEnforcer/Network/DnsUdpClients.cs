using System.Diagnostics.CodeAnalysis;
using System.Net;
using MicroEnforcer.Interop;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Network;

/// <summary>
/// The UDP client sockets the gate stands in for, and the sockets it opened to their servers:
/// bounded in both, expired when idle. Used by the gate's thread only.
/// </summary>
internal sealed class DnsUdpClients(ILogger log)
{
    /// <summary>UDP client sockets known; past it, the least recently active one is forgotten (its next queries are dropped).</summary>
    public const int MaxClients = 4096;

    /// <summary>Sockets open to servers; past it, the least recently active client's is closed (an answer still due on it is lost; the resolver asks again).</summary>
    public const int MaxUpstreamSockets = 512;

    /// <summary>A client's socket to its server is closed after this long without a datagram either way.</summary>
    public static readonly TimeSpan UpstreamIdle = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A client is forgotten after this long without a datagram: longer than its server socket,
    /// because a resolver may keep a connected socket for its next lookups; a socket closed in
    /// the meantime costs an entry until then (its port may be taken again: a new Expect replaces it).
    /// </summary>
    public static readonly TimeSpan ClientIdle = TimeSpan.FromMinutes(15);

    private readonly Dictionary<IPEndPoint, DnsUdpClient> _clients = [];
    private int _upstreamSockets;
    private bool _clientLimitLogged, _socketLimitLogged;

    public int Count => _clients.Count;

    public IEnumerable<DnsUdpClient> WithUpstream => _clients.Values.Where(c => c.Upstream >= 0);

    public bool TryFind(IPEndPoint address, [NotNullWhen(true)] out DnsUdpClient? client) => _clients.TryGetValue(address, out client);

    /// <summary>The socket at <paramref name="address"/> now stands for <paramref name="expectation"/>'s server.</summary>
    public void Expect(IPEndPoint address, DnsExpectation expectation)
    {
        long now = Environment.TickCount64;
        if (_clients.TryGetValue(address, out DnsUdpClient? known))
        {
            if (!known.Expectation.Upstream.Equals(expectation.Upstream))
                CloseUpstream(known);   // answers from the old server are no longer this socket's
            known.Expectation = expectation;
            known.LastActive = now;
            return;
        }
        if (_clients.Count >= MaxClients)
        {
            if (!_clientLimitLogged)
                DnsGateLog.LimitReached(log, "UDP clients", MaxClients, "the least recently active are forgotten");
            _clientLimitLogged = true;
            Forget(_clients.Values.MinBy(c => c.LastActive)!.Address);
        }
        _clients[address] = new DnsUdpClient(address, expectation);
    }

    public void Forget(IPEndPoint address)
    {
        if (_clients.Remove(address, out DnsUdpClient? gone))
            CloseUpstream(gone);
    }

    /// <summary>
    /// Sends <paramref name="query"/> to the client's server from the client's own socket to it
    /// (opened and connected at the first). UDP: what is lost is lost (a full socket buffer, an
    /// unreachable server); the resolver asks again.
    /// </summary>
    public void Forward(DnsUdpClient client, ReadOnlySpan<byte> query)
    {
        if (client.Upstream < 0)
        {
            if (_upstreamSockets >= MaxUpstreamSockets)
            {
                if (!_socketLimitLogged)
                    DnsGateLog.LimitReached(log, "upstream sockets", MaxUpstreamSockets, "the least recently active client's is closed");
                _socketLimitLogged = true;
                CloseUpstream(WithUpstream.MinBy(c => c.LastActive)!);
            }
            int fd = GateSocket.Open(client.Expectation.Upstream.AddressFamily, stream: false);
            if (fd < 0)
                return;
            if (GateSocket.Connect(fd, client.Expectation.Upstream) != 0)
            {
                Libc.Close(fd);
                return;
            }
            client.Upstream = fd;
            _upstreamSockets++;
        }
        GateSocket.Send(client.Upstream, query);
    }

    /// <summary>Closes the server sockets idle past <see cref="UpstreamIdle"/> and forgets the clients idle past <see cref="ClientIdle"/>.</summary>
    public void Expire(long now)
    {
        List<IPEndPoint>? idle = null;
        foreach (DnsUdpClient client in _clients.Values)
        {
            if (client.Upstream >= 0 && now - client.LastActive > (long)UpstreamIdle.TotalMilliseconds)
                CloseUpstream(client);
            if (now - client.LastActive > (long)ClientIdle.TotalMilliseconds)
                (idle ??= []).Add(client.Address);
        }
        foreach (IPEndPoint address in idle ?? [])
            _clients.Remove(address);
        _clientLimitLogged &= _clients.Count >= MaxClients;
        _socketLimitLogged &= _upstreamSockets >= MaxUpstreamSockets;
    }

    public void CloseAll()
    {
        foreach (DnsUdpClient client in _clients.Values)
            CloseUpstream(client);
        _clients.Clear();
    }

    private void CloseUpstream(DnsUdpClient client)
    {
        if (client.Upstream < 0)
            return;
        Libc.Close(client.Upstream);
        client.Upstream = -1;
        _upstreamSockets--;
    }
}
