using System.Net;

namespace MicroEnforcer.Network;

/// <summary>
/// A UDP client socket PID 1 connected to the gate: the server it asked for, and the gate's
/// socket connected to that server on its behalf (opened at its first forwarded query, closed
/// when idle). Answers coming back on that socket are the client's, whatever their order: the
/// gate keeps no per-query state.
/// </summary>
internal sealed class DnsUdpClient(IPEndPoint address, DnsExpectation expectation)
{
    public IPEndPoint Address => address;

    public DnsExpectation Expectation { get; set; } = expectation;

    /// <summary>The gate's socket connected to the upstream; -1 while none is open.</summary>
    public int Upstream { get; set; } = -1;

    public long LastActive { get; set; } = Environment.TickCount64;
}
