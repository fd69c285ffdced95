using System.Net;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Network;

/// <summary>The DNS gate's messages (event ids 160-169).</summary>
internal static partial class DnsGateLog
{
    [LoggerMessage(160, LogLevel.Information, "dns gate: listening on {Udp4} and {Udp6} (UDP), {Tcp4} and {Tcp6} (TCP)")]
    public static partial void Started(ILogger log, IPEndPoint udp4, string udp6, IPEndPoint tcp4, string tcp6);

    [LoggerMessage(161, LogLevel.Warning, "dns gate: no IPv6 loopback ({Error}): lookups from IPv6 sockets are not redirected to it")]
    public static partial void NoIpv6(ILogger log, string error);

    [LoggerMessage(162, LogLevel.Error, "dns gate: handling {Peer} failed; it is dropped and the gate goes on")]
    public static partial void ClientFailed(ILogger log, IPEndPoint peer, Exception exception);

    [LoggerMessage(163, LogLevel.Error, "dns gate: its loop failed; it goes on")]
    public static partial void LoopFailed(ILogger log, Exception exception);

    [LoggerMessage(164, LogLevel.Warning, "dns gate: {What} reached its limit of {Limit}: {Consequence}")]
    public static partial void LimitReached(ILogger log, string what, int limit, string consequence);

    [LoggerMessage(165, LogLevel.Debug, "dns gate: {Count} datagrams from sockets it does not stand in for were dropped (last from {Source})")]
    public static partial void Strangers(ILogger log, int count, IPEndPoint source);

    [LoggerMessage(166, LogLevel.Debug, "dns gate: TCP connection from {Peer} to {Upstream} failed: {Error}")]
    public static partial void UpstreamFailed(ILogger log, IPEndPoint peer, IPEndPoint upstream, string error);
}
