using System.Globalization;
using System.Net;

namespace MicroEnforcer.Policy;

/// <summary>
/// A syslog sink (<c>type: syslog</c>): RFC 5424 messages over TCP, framed by octet counting
/// (RFC 6587), optionally in TLS (RFC 5425).
/// </summary>
/// <param name="Host">The server: a DNS name or an IP address (without brackets).</param>
/// <param name="Port">The server's TCP port.</param>
/// <param name="Tls">Whether the connection is TLS (RFC 5425).</param>
/// <param name="CaFile">TLS only: the PEM bundle whose CAs alone are trusted; null: the image's system bundle.</param>
/// <param name="Facility">The facility's code (local0 is 16).</param>
/// <param name="AppName">The APP-NAME of every message.</param>
public sealed record SyslogSinkPolicy(string Host, int Port, bool Tls, string? CaFile, int Facility, string AppName) : AuditSinkPolicy
{
    public const string TypeName = "syslog";
    public const string DefaultAppName = "microenforcer";
    public const int DefaultFacility = 16;   // local0

    /// <summary>RFC 5424's facility names, by code.</summary>
    public static readonly IReadOnlyList<string> FacilityNames =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
        "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    public override string Type => TypeName;

    /// <summary>host:port as the policy writes it, brackets around an IPv6 address.</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string Describe() => $"{TypeName} {(Tls ? "tls://" : "tcp://")}{Address}";

    /// <summary><c>host:port</c>, an IPv6 address in brackets (<c>[fd00::1]:6514</c>): null with its parts, else the error.</summary>
    public static string? ParseAddress(string text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        string example = "write host:port such as 127.0.0.1:6514, syslog.example.com:6514 or [fd00::1]:6514";
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            return $"invalid address '{text}': {example}";
        string hostPart = text[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IPAddress.TryParse(hostPart[1..^1], out IPAddress? v6)
                || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                return $"invalid address '{text}': an IPv6 address goes in brackets, e.g. [fd00::1]:6514";
            hostPart = hostPart[1..^1];
        }
        else if (hostPart.Contains(':', StringComparison.Ordinal))
        {
            return $"invalid address '{text}': an IPv6 address goes in brackets, e.g. [fd00::1]:6514";
        }
        else if (Uri.CheckHostName(hostPart) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
        {
            return $"invalid address '{text}': '{hostPart}' is not a host name or an IP address";
        }
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed is < 1 or > 65535)
            return $"invalid address '{text}': the port must be a number from 1 to 65535";
        host = hostPart;
        port = parsed;
        return null;
    }

    /// <summary>An RFC 5424 APP-NAME: 1 to 48 printable ASCII characters, no space.</summary>
    public static string? CheckAppName(string text)
    {
        if (text.Length is 0 or > 48 || text.Any(c => c is < '!' or > '~'))
            return $"invalid appName '{text}': 1 to 48 printable ASCII characters without spaces (RFC 5424 APP-NAME)";
        return null;
    }
}
