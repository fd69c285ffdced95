using System.Globalization;

namespace MicroEnforcer.Policy;

/// <summary>A port, or an inclusive range of ports (<c>80</c>, <c>1-1023</c>), 0 to 65535.</summary>
public readonly record struct PortRange(int First, int Last)
{
    public bool Contains(int port) => port >= First && port <= Last;

    /// <summary>Parses a policy item; returns the reason it is not a port or range, or null.</summary>
    public static string? Parse(string text, out PortRange range)
    {
        range = default;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string first = dash < 0 ? text : text[..dash], last = dash < 0 ? text : text[(dash + 1)..];
        if (ParsePort(first) is not int from || ParsePort(last) is not int to)
            return $"invalid port '{text}': expected a port from 0 to 65535 or a range such as 1-1023";
        if (from > to)
            return $"invalid port range '{text}': the first port is above the last";
        range = new PortRange(from, to);
        return null;
    }

    private static int? ParsePort(string text) =>
        text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && int.Parse(text, CultureInfo.InvariantCulture) is var port and <= 65535
            ? port : null;

    public override string ToString() => First == Last ? First.ToString(CultureInfo.InvariantCulture) : $"{First}-{Last}";
}
