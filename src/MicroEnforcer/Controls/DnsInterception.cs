using System.Collections.Concurrent;
using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Where lookups of listed domains are found, for every control with a domain list (DNS/IP
/// Reputation, Block Cryptocurrency Mining), which share it: one DNS gate, one redirection.
///
/// A resolver sends its query one of three ways, and each is covered:
/// - sendto with the server's address (musl), or sendmsg/sendmmsg (glibc's getaddrinfo, dig):
///   PID 1 performs these sends itself, so it reads the query it sends (<see cref="ListedQuery"/>);
/// - write() on a connected datagram socket (busybox's nslookup, Go's resolver), which no filter
///   sees: the socket's connect to a DNS port is performed to the DNS gate instead
///   (<see cref="Network.DnsGate"/>, a forwarding proxy in PID 1 on loopback), which reads each
///   query and refuses listed names with NXDOMAIN;
/// - TCP (dig +tcp, glibc's fallback after a truncated answer): its connect goes to the gate too.
/// A datagram socket sent to the gate whose owner then uses send()/sendmsg() (glibc) is connected
/// back to its real server just before PID 1 performs that send (<see cref="NetworkCall.ReconnectTo"/>):
/// glibc and musl drop answers whose source is not the server they asked.
/// </summary>
internal sealed class DnsInterception(Outcome outcome, ILogger log) : IDnsGateReports, IDisposable
{
    private readonly List<Registration> _lists = [];
    private const int MaxRedirectedUdp = 4096;

    private readonly ConcurrentDictionary<IPEndPoint, IPEndPoint> _redirectedUdp = new();
    private DnsGate? _gate;
    private bool _gateFailed;

    private sealed record Registration(string Control, EnforcementMode Mode, DomainSet Domains, PolicyList<PortRange> Ports);

    /// <summary>A control's list, at its creation (before the workload starts).</summary>
    public void Register(string control, EnforcementMode mode, DomainSet domains, PolicyList<PortRange> dnsPorts) =>
        _lists.Add(new Registration(control, mode, domains, dnsPorts));

    private bool IsDnsPort(int port) => _lists.Any(list => list.Ports.Any(range => range.Contains(port)));

    private DnsGate? Gate()
    {
        if (_gate is null && !_gateFailed)
        {
            try
            {
                _gate = DnsGate.Start(Judge, this, log);
            }
            catch (SystemCallException e)
            {
                // No loopback to listen on: sends PID 1 performs are still read; write()-based resolvers are not.
                _gateFailed = true;
                MicroEnforcer.Log.ControlWarning(log, "dns", $"the DNS gate could not start ({e.Message}): lookups written with write() on a connected socket, and DNS over TCP, are not judged");
            }
        }
        return _gate;
    }

    /// <summary>
    /// Looks at a call once for all domain-list controls: a connect to a DNS port goes to the gate;
    /// a send on a socket the gate stood in for goes back to its server first.
    /// </summary>
    public void Screen(NetworkCall call)
    {
        if (call.DnsScreened)
            return;
        call.DnsScreened = true;
        bool tcp = call.Socket.Type == Libc.SOCK_STREAM;
        bool udp = call.Socket.Type == Libc.SOCK_DGRAM;
        if (call.Operation == NetworkOperation.Connect && (tcp || udp))
        {
            if (udp && call.Socket.Local() is { } before && _redirectedUdp.TryRemove(before, out _))
                _gate?.Forget(before, tcp: false);   // connected again: the gate no longer stands in for it
            if (call.Remote is not { } server || !IsDnsPort(server.Port) || Gate() is not { } gate
                || gate.ProxyFor(server.AddressFamily, tcp) is not { } proxy)
            {
                return;
            }
            var caller = new DnsCaller(ProcStatus.Read(call.Tid)?.Tgid ?? call.Tid, call.Tid, NativePath.ReadLink($"/proc/{call.Tid}/exe") ?? "?");
            call.RedirectTo = proxy;
            call.Redirected = local =>
            {
                if (local is null)
                    return;
                if (udp)
                {
                    // A socket the gate stands in for that never sends by send()/sendmsg() (busybox,
                    // Go) leaves its entry behind (its close is not seen): bounded, and a send is
                    // only connected back when its peer is still the gate (above).
                    if (_redirectedUdp.Count >= MaxRedirectedUdp)
                        _redirectedUdp.Clear();
                    _redirectedUdp[local] = server;
                }
                gate.Expect(local, server, tcp, caller);
            };
        }
        else if (call.Operation == NetworkOperation.Send && udp && !call.ExplicitDestination && !_redirectedUdp.IsEmpty
            && call.Remote is { } peer && _gate?.ProxyFor(peer.AddressFamily, tcp: false) is { } proxy && peer.Equals(proxy)
            && call.Socket.Local() is { } local && _redirectedUdp.TryRemove(local, out IPEndPoint? server))
        {
            _gate?.Forget(local, tcp: false);
            call.ReconnectTo = server;
        }
    }

    /// <summary>
    /// A domain-list control's judgement of a connect or send: it screens the call (see
    /// <see cref="Screen"/>), and objects to a send that looks up a name <paramref name="domains"/>
    /// lists, saying it is "<paramref name="listedAs"/>".
    /// </summary>
    public SyscallVerdict JudgeLookup(string control, NetworkCall call, DomainSet domains, string listedAs)
    {
        Screen(call);
        if (ListedQuery(call, domains) is not { } listed)
            return SyscallVerdict.Continue;
        return NetworkFindings.Object(control, call, $"DNS lookup of {listed.Name}: '{listed.Entry}' is {listedAs}", call.ReconnectTo ?? call.Remote,
            domain: listed.Name);
    }

    /// <summary>The first name a datagram send to a DNS port looks up that <paramref name="domains"/> lists: (name, entry), or null.</summary>
    private (string Name, string Entry)? ListedQuery(NetworkCall call, DomainSet domains)
    {
        if (call.Operation != NetworkOperation.Send || call.Socket.Type != Libc.SOCK_DGRAM)
            return null;
        var names = new List<string>(2);
        for (int i = 0; i < call.Messages.Count; i++)
        {
            OutgoingMessage message = call.Messages[i];
            IPEndPoint? server = message.Destination ?? (i == 0 ? call.ReconnectTo ?? call.Remote : call.ReconnectTo ?? call.Remote);
            if (server is null || !IsDnsPort(server.Port))
                continue;
            names.Clear();
            if (!DnsMessage.TryReadQuestions(message.Data, names))
                continue;
            foreach (string name in names)
            {
                if (domains.Match(name) is { } entry)
                    return (name, entry);
            }
        }
        return null;
    }

    /// <summary>The gate's judge: the first enforcing list that has the name, else the first auditing one.</summary>
    private DomainMatch? Judge(string name)
    {
        DomainMatch? audit = null;
        foreach (Registration list in _lists)
        {
            if (list.Domains.Match(name) is not { } entry)
                continue;
            if (list.Mode == EnforcementMode.Enforce)
                return new DomainMatch(list.Control, entry, true);
            audit ??= new DomainMatch(list.Control, entry, false);
        }
        return audit;
    }

    /// <summary>The gate saw a listed name looked up (on its own thread).</summary>
    public void Listed(DnsCaller caller, string name, DomainMatch match, IPEndPoint upstream, bool tcp, bool refused)
    {
        var finding = new ControlFinding(match.Control, $"DNS lookup of {name}: '{match.Entry}' is listed ({(tcp ? "tcp" : "udp")} to {Sockaddr.Text(upstream)}, through the DNS gate)")
        {
            Remote = Sockaddr.Text(upstream),
            Protocol = tcp ? "tcp" : "udp",
            Domain = name,
        };
        outcome.Decided(caller.Pid, finding, refused ? EnforcementMode.Enforce : EnforcementMode.Audit, tcp ? "write" : "write", caller.Process);
    }

    public void Dispose() => _gate?.Dispose();
}
