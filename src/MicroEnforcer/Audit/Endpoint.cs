using System.Globalization;

namespace MicroEnforcer.Audit;

/// <summary>An event's remote or local end, "address:port" or "[v6]:port", split for the formats that have a field for each.</summary>
internal static class Endpoint
{
    /// <summary>False for anything else (a bare address, a v6 address without brackets), which is then shown whole.</summary>
    public static bool TrySplit(string endpoint, out string address, out int port)
    {
        address = endpoint;
        port = 0;
        int colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed > 65535)
            return false;
        if (endpoint[0] == '[')
        {
            if (endpoint[colon - 1] != ']')
                return false;
            address = endpoint[1..(colon - 1)];
        }
        else
        {
            if (endpoint.IndexOf(':') != colon)
                return false;
            address = endpoint[..colon];
        }
        port = parsed;
        return true;
    }
}
