using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MicroEnforcer.Policy;

/// <summary>
/// An IPv4 or IPv6 network in CIDR notation, e.g. <c>10.0.0.0/8</c> or <c>fd00::/8</c>; a bare
/// address is a network of one (<c>/32</c> or <c>/128</c>).
/// </summary>
/// <remarks>
/// <see cref="System.Net.IPNetwork"/> holds the network and does the matching. The textual front
/// stays hand-written because .NET's address parser is inet_aton's: it reads "10.1" as 10.0.0.1,
/// "0x0a000001" and octal "012.0.0.1" as addresses too, so a policy author's typo would silently
/// allow some other network. Here IPv4 must be four decimal parts without leading zeros, IPv6 zone
/// ids ("%eth0") and brackets are refused, and a network whose host bits are set is refused with the
/// network it likely meant rather than an exception (<see cref="System.Net.IPNetwork"/> throws).
/// </remarks>
public sealed class IpNetwork : IEquatable<IpNetwork>
{
    private readonly System.Net.IPNetwork _network;

    // For an IPv6 network inside ::ffff:0:0/96, whose addresses are IPv4 ones written as IPv6, the
    // IPv4 network it is: matching is done on that. Besides sparing an allocation per check, it
    // goes around System.Net.IPNetwork missing mapped addresses (seen on .NET 10.0.12:
    // ::ffff:0:0/96 does not contain ::ffff:0:1, while fd00::/96 contains fd00::1).
    private readonly System.Net.IPNetwork? _mappedAsIPv4;

    private IpNetwork(IPAddress address, int prefixLength)
    {
        _network = new System.Net.IPNetwork(address, prefixLength);
        if (address.IsIPv4MappedToIPv6)
        {
            // Host bits are zero, and 0xffff sits in bits 80-95: the prefix is at least 96.
            _mappedAsIPv4 = new System.Net.IPNetwork(address.MapToIPv4(), prefixLength - 96);
        }
    }

    public AddressFamily AddressFamily => _network.BaseAddress.AddressFamily;

    /// <summary>The network address (all host bits zero).</summary>
    public IPAddress Address => _network.BaseAddress;

    /// <summary>Number of leading bits that identify the network: 0..32 for IPv4, 0..128 for IPv6.</summary>
    public int PrefixLength => _network.PrefixLength;

    /// <summary>The network at <paramref name="address"/>/<paramref name="prefixLength"/>, whose host bits the caller has cleared.</summary>
    internal static IpNetwork FromPrefix(IPAddress address, int prefixLength) => new(address, prefixLength);

    /// <summary>Parses CIDR <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IpNetwork? network, out string error)
    {
        network = null;
        Span<byte> address = stackalloc byte[16];
        if (Parse(text, address, out int length, out int prefix) is { } refused)
        {
            error = refused;
            return false;
        }

        network = new IpNetwork(new IPAddress(address[..length]), prefix);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Parses CIDR <paramref name="text"/> into its network address (<paramref name="length"/>
    /// bytes of <paramref name="address"/>: 4 or 16) and prefix length; null, or why not. The
    /// same rules as <see cref="TryParse"/>, which it is the body of, without allocating for an
    /// IPv4 network (list files hold hundreds of thousands).
    /// </summary>
    internal static string? Parse(ReadOnlySpan<char> text, Span<byte> address, out int length, out int prefix)
    {
        length = 0;
        prefix = 0;
        if (text.IsEmpty)
        {
            return "the network is empty; expected an address such as 10.0.0.0/8 or fd00::/8";
        }

        if (text.ContainsAny(" \t\r\n"))
        {
            return "the network must not contain whitespace";
        }

        int slash = text.IndexOf('/');
        ReadOnlySpan<char> addressText = slash < 0 ? text : text[..slash];
        if (ParseAddress(addressText, address, out length) is { } error)
        {
            return error;
        }

        int maxPrefix = length * 8;
        string family = maxPrefix == 32 ? "IPv4" : "IPv6";
        prefix = maxPrefix;
        if (slash >= 0)
        {
            ReadOnlySpan<char> prefixText = text[(slash + 1)..];
            if (prefixText.IsEmpty)
            {
                return $"missing prefix length after '/'; expected 0 to {maxPrefix} for an {family} network";
            }

            if (prefixText.ContainsAnyExceptInRange('0', '9'))
            {
                return $"invalid prefix length '{prefixText}'; expected a number from 0 to {maxPrefix}";
            }

            // Digits only, so a failure here is an overflow: out of range as well.
            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                return $"prefix length {prefixText} is too long for an {family} network; the maximum is {maxPrefix}";
            }
        }

        Span<byte> networkBytes = stackalloc byte[16];
        networkBytes = networkBytes[..length];
        Mask(address[..length], prefix, networkBytes);
        if (!networkBytes.SequenceEqual(address[..length]))
        {
            string suggestion = $"{new IPAddress(networkBytes)}/{prefix}";
            return $"host bits are set: {addressText} is not the first address of a /{prefix} network; "
                + $"did you mean {suggestion}? (or {addressText}/{maxPrefix} for the single address)";
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="address"/> lies in this network. An IPv4-mapped IPv6 address
    /// (<c>::ffff:a.b.c.d</c>) counts as the IPv4 address it carries, so it matches IPv4 networks
    /// and vice versa for IPv6 networks inside <c>::ffff:0:0/96</c>; other IPv6 networks, even
    /// <c>::/0</c>, never match IPv4 traffic. <see cref="System.Net.IPNetwork.Contains"/> alone
    /// compares families as they are written, so a mapped peer would miss an IPv4 network.
    /// </summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);

        // Only a mapped peer address costs an allocation.
        IPAddress candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        System.Net.IPNetwork network = _mappedAsIPv4 ?? _network;
        return candidate.AddressFamily == network.BaseAddress.AddressFamily && network.Contains(candidate);
    }

    /// <summary>Canonical CIDR form: <c>10.0.0.0/8</c>, <c>fd00::/8</c>, always with the prefix length.</summary>
    public override string ToString() => _network.ToString();

    public bool Equals(IpNetwork? other) => other is not null && _network.Equals(other._network);

    public override bool Equals(object? obj) => Equals(obj as IpNetwork);

    public override int GetHashCode() => _network.GetHashCode();

    private static string? ParseAddress(ReadOnlySpan<char> text, Span<byte> address, out int length)
    {
        length = 0;
        if (text.IsEmpty)
        {
            return "missing address before '/'";
        }

        bool isV6 = text.Contains(':');
        if (isV6 && text.Contains('%'))
        {
            return $"'{text}' has a zone id ('%'), which networks cannot have";
        }

        // IPAddress.TryParse also takes "[::1]" and "[::1]:80"; a network is the bare address.
        if (isV6 && !IsIPv6Text(text))
        {
            return $"'{text}' is not a valid IPv6 address; write it without brackets or port, e.g. fd00::1";
        }

        if (!isV6)
        {
            length = 4;
            return ParseDottedQuad(text, address)
                ? null
                : $"'{text}' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5";
        }

        if (!IPAddress.TryParse(text, out IPAddress? parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6
            || !parsed.TryWriteBytes(address, out length))
        {
            return $"'{text}' is not a valid IPv6 address";
        }

        return null;
    }

    /// <summary>Four decimal parts 0..255 without leading zeros; the only IPv4 spelling accepted.</summary>
    private static bool ParseDottedQuad(ReadOnlySpan<char> text, Span<byte> address)
    {
        int part = 0;
        foreach (Range range in text.Split('.'))
        {
            ReadOnlySpan<char> digits = text[range];
            if (part == 4 || digits.Length is < 1 or > 3 || digits.ContainsAnyExceptInRange('0', '9')
                || (digits.Length > 1 && digits[0] == '0'))
            {
                return false;
            }

            int value = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            address[part++] = (byte)value;
        }

        return part == 4;
    }

    private static bool IsIPv6Text(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c) && c is not ':' and not '.')
            {
                return false;
            }
        }

        return true;
    }

    private static void Mask(ReadOnlySpan<byte> bytes, int prefix, Span<byte> masked)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            masked[i] = (byte)(bytes[i] & (0xff << (8 - bits)));
        }
    }
}
