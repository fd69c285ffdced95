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
/// Parsing is stricter than <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone: IPv4 must
/// be four decimal parts without leading zeros (no "10.1", no "0x0a.0.0.1", no octal "010.0.0.1",
/// all of which inet_aton would silently read as some other address), IPv6 zone ids ("%eth0") are
/// refused, and a network whose host bits are set is refused rather than silently truncated.
/// </remarks>
public sealed class IpNetwork : IEquatable<IpNetwork>
{
    // ::ffff:0:0/96, the IPv4-mapped IPv6 addresses.
    private static ReadOnlySpan<byte> MappedPrefix => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

    // The network address, 4 or 16 bytes, with every host bit zero.
    private readonly byte[] _bytes;

    private IpNetwork(byte[] bytes, int prefixLength)
    {
        _bytes = bytes;
        PrefixLength = prefixLength;
    }

    public AddressFamily AddressFamily => _bytes.Length == 4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>The network address (all host bits zero).</summary>
    public IPAddress Address => new(_bytes);

    /// <summary>Number of leading bits that identify the network: 0..32 for IPv4, 0..128 for IPv6.</summary>
    public int PrefixLength { get; }

    /// <summary>Parses CIDR <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IpNetwork? network, out string error)
    {
        network = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "the network is empty; expected an address such as 10.0.0.0/8 or fd00::/8";
            return false;
        }

        if (text.AsSpan().ContainsAny(" \t\r\n"))
        {
            error = "the network must not contain whitespace";
            return false;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out byte[]? bytes, out error))
        {
            return false;
        }

        int maxPrefix = bytes.Length * 8;
        string family = bytes.Length == 4 ? "IPv4" : "IPv6";
        int prefix = maxPrefix;
        if (slash >= 0)
        {
            string prefixText = text[(slash + 1)..];
            if (prefixText.Length == 0)
            {
                error = $"missing prefix length after '/'; expected 0 to {maxPrefix} for an {family} network";
                return false;
            }

            if (!IsDigits(prefixText))
            {
                error = $"invalid prefix length '{prefixText}'; expected a number from 0 to {maxPrefix}";
                return false;
            }

            // Digits only, so a failure here is an overflow: out of range as well.
            if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix)
            {
                error = $"prefix length {prefixText} is too long for an {family} network; the maximum is {maxPrefix}";
                return false;
            }
        }

        if (HasHostBits(bytes, prefix))
        {
            byte[] networkBytes = Mask(bytes, prefix);
            string suggestion = $"{new IPAddress(networkBytes)}/{prefix}";
            error = $"host bits are set: {addressText} is not the first address of a /{prefix} network; "
                + $"did you mean {suggestion}? (or {addressText}/{maxPrefix} for the single address)";
            return false;
        }

        network = new IpNetwork(bytes, prefix);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="address"/> lies in this network. An IPv4-mapped IPv6 address
    /// (<c>::ffff:a.b.c.d</c>) counts as the IPv4 address it carries, so it matches IPv4 networks
    /// and vice versa for IPv6 networks inside <c>::ffff:0:0/96</c>; other IPv6 networks, even
    /// <c>::/0</c>, never match IPv4 traffic.
    /// </summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);

        Span<byte> buffer = stackalloc byte[16];
        if (!address.TryWriteBytes(buffer, out int written))
        {
            return false;
        }

        ReadOnlySpan<byte> candidate = buffer[..written];
        if (written == 16 && candidate.StartsWith(MappedPrefix))
        {
            candidate = candidate[12..];
        }

        if (_bytes.Length == candidate.Length)
        {
            return PrefixMatches(_bytes, candidate, PrefixLength);
        }

        // An IPv4 address against an IPv6 network: only a network of mapped addresses can hold it.
        if (_bytes.Length == 16 && PrefixLength >= 96 && _bytes.AsSpan().StartsWith(MappedPrefix))
        {
            return PrefixMatches(_bytes.AsSpan(12), candidate, PrefixLength - 96);
        }

        return false;
    }

    /// <summary>Canonical CIDR form: <c>10.0.0.0/8</c>, <c>fd00::/8</c>, always with the prefix length.</summary>
    public override string ToString() => $"{Address}/{PrefixLength}";

    public bool Equals(IpNetwork? other) =>
        other is not null && PrefixLength == other.PrefixLength && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => Equals(obj as IpNetwork);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(PrefixLength);
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    private static bool TryParseAddress(string text, [NotNullWhen(true)] out byte[]? bytes, out string error)
    {
        bytes = null;
        if (text.Length == 0)
        {
            error = "missing address before '/'";
            return false;
        }

        bool isV6 = text.Contains(':', StringComparison.Ordinal);
        if (isV6 && text.Contains('%', StringComparison.Ordinal))
        {
            error = $"'{text}' has a zone id ('%'), which networks cannot have";
            return false;
        }

        // IPAddress.TryParse also takes "[::1]" and "[::1]:80"; a network is the bare address.
        if (isV6 && !IsIPv6Text(text))
        {
            error = $"'{text}' is not a valid IPv6 address; write it without brackets or port, e.g. fd00::1";
            return false;
        }

        if (!isV6 && !IsDottedQuad(text, out error))
        {
            return false;
        }

        if (!IPAddress.TryParse(text, out IPAddress? address)
            || address.AddressFamily != (isV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
        {
            error = $"'{text}' is not a valid IPv{(isV6 ? 6 : 4)} address";
            return false;
        }

        bytes = address.GetAddressBytes();
        error = string.Empty;
        return true;
    }

    /// <summary>Four decimal parts 0..255 without leading zeros; the only IPv4 spelling accepted.</summary>
    private static bool IsDottedQuad(string text, out string error)
    {
        string[] parts = text.Split('.');
        bool valid = parts.Length == 4;
        foreach (string part in parts)
        {
            valid = valid
                && part.Length is >= 1 and <= 3
                && IsDigits(part)
                && (part.Length == 1 || part[0] != '0')
                && int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture) <= 255;
        }

        error = valid
            ? string.Empty
            : $"'{text}' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5";
        return valid;
    }

    private static bool IsIPv6Text(string text)
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

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return text.Length > 0;
    }

    private static bool PrefixMatches(ReadOnlySpan<byte> network, ReadOnlySpan<byte> address, int prefix)
    {
        int whole = prefix / 8;
        if (!network[..whole].SequenceEqual(address[..whole]))
        {
            return false;
        }

        int rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        int mask = (0xff << (8 - rest)) & 0xff;
        return (network[whole] & mask) == (address[whole] & mask);
    }

    private static bool HasHostBits(byte[] bytes, int prefix)
    {
        byte[] masked = Mask(bytes, prefix);
        return !masked.AsSpan().SequenceEqual(bytes);
    }

    private static byte[] Mask(byte[] bytes, int prefix)
    {
        byte[] masked = (byte[])bytes.Clone();
        for (int i = 0; i < masked.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            masked[i] &= (byte)(0xff << (8 - bits));
        }

        return masked;
    }
}
