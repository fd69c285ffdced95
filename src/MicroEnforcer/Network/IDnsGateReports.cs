using System.Net;

namespace MicroEnforcer.Network;

/// <summary>Where the DNS gate tells of the listed names it saw looked up (on its own thread).</summary>
internal interface IDnsGateReports
{
    /// <summary>
    /// A query from <paramref name="caller"/> to <paramref name="upstream"/> asked for
    /// <paramref name="name"/>, which <paramref name="match"/> lists; <paramref name="refused"/>:
    /// it was answered NXDOMAIN by the gate, otherwise forwarded. Once per query.
    /// </summary>
    void Listed(DnsCaller caller, string name, DomainMatch match, IPEndPoint upstream, bool tcp, bool refused);
}
