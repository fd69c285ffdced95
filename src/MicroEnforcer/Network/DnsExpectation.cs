using System.Net;

namespace MicroEnforcer.Network;

/// <summary>
/// What the gate knows of a client socket PID 1 connected to it instead of a DNS server: the
/// server the caller asked for (the only place the gate forwards that client's traffic to) and
/// who the caller is.
/// </summary>
internal sealed record DnsExpectation(IPEndPoint Upstream, DnsCaller Caller);
