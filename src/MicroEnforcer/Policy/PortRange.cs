using System.Globalization;

namespace MicroEnforcer.Policy;

/// <summary>
/// A TCP/UDP port or an inclusive range of ports, written <c>80</c> or <c>1-1023</c>; ports are
/// 0 to 65535 (0 is what a bind to "any port" names, so a policy may list it).
/// </summary>
public readonly record struct PortRange
{
    public const int MaxPort = 65535;

    public PortRange(int first, int last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(last, MaxPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, last);
        (First, Last) = (first, last);
    }

    public int First { get; }

    public int Last { get; }

    public bool Contains(int port) => port >= First && port <= Last;

    /// <summary>
    /// Parses <c>PORT</c> or <c>FIRST-LAST</c> (decimal, no sign, no spaces); on failure
    /// <paramref name="error"/> says why.
    /// </summary>
    public static bool TryParse(string text, out PortRange range, out string error)
    {
        range = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "the port is empty; expected a port such as 443 or a range such as 1-1023";
            return false;
        }

        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string firstText = dash < 0 ? text : text[..dash];
        string? lastText = dash < 0 ? null : text[(dash + 1)..];
        if (!TryParsePort(firstText, text, out int first, out error))
        {
            return false;
        }

        int last = first;
        if (lastText is not null && !TryParsePort(lastText, text, out last, out error))
        {
            return false;
        }

        if (last < first)
        {
            error = $"'{text}' is a reversed range: the first port must not be above the last (did you mean {last}-{first}?)";
            return false;
        }

        range = new PortRange(first, last);
        error = string.Empty;
        return true;
    }

    private static bool TryParsePort(string part, string text, out int port, out string error)
    {
        port = 0;
        if (part.Length == 0 || !part.All(char.IsAsciiDigit))
        {
            error = $"'{text}' is not a port or a range of ports; expected a number from 0 to {MaxPort} (e.g. 443) or two joined by '-' (e.g. 1-1023)";
            return false;
        }

        // Digits only, so a failed parse is an overflow: out of range as well.
        if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > MaxPort)
        {
            error = part == text ? $"port {part} is out of range: ports are 0 to {MaxPort}" : $"'{text}': port {part} is out of range: ports are 0 to {MaxPort}";
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>As a policy writes it: <c>80</c> or <c>1-1023</c>.</summary>
    public override string ToString() =>
        First == Last ? First.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{First}-{Last}");
}
