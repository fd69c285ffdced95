using System.Net;

namespace MicroEnforcer.Network;

/// <summary>
/// Decides one message a client sent through the gate: a query naming a listed domain is refused
/// (enforce) or let through (audit), and reported either way; anything else (an unlisted name, or
/// bytes that are not a DNS query) goes on unchanged and unreported: a DNS server the gate
/// forwards them to reads them no better than the gate did. Used by the gate's thread only.
/// </summary>
internal sealed class DnsQueryScreen(Func<string, DomainMatch?> judge, IDnsGateReports reports)
{
    private readonly List<string> _names = [];

    /// <summary>The refusal to answer <paramref name="message"/> with, or null to forward it.</summary>
    public byte[]? Screen(ReadOnlySpan<byte> message, DnsExpectation expectation, bool tcp)
    {
        _names.Clear();
        if (!DnsMessage.TryReadQuestions(message, _names))
            return null;
        // One report per query: the first enforced match decides, or else the first match. A
        // query with several questions is rare (no common server answers one).
        string? listedName = null;
        DomainMatch listed = default;
        foreach (string name in _names)
        {
            if (judge(name) is not { } match)
                continue;
            if (listedName is null || (match.Enforce && !listed.Enforce))
                (listedName, listed) = (name, match);
            if (match.Enforce)
                break;
        }
        if (listedName is null)
            return null;
        reports.Listed(expectation.Caller, listedName, listed, expectation.Upstream, tcp, refused: listed.Enforce);
        return listed.Enforce ? DnsMessage.Refusal(message, DnsRefusal.NameError) : null;
    }
}
