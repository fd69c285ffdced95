using System.Globalization;
using System.Net;

namespace MicroEnforcer.Procfs;

/// <summary>
/// The INET sockets of a network namespace, from /proc/PID/net/{tcp,tcp6,udp,udp6} (the
/// namespace of that process, which is what matters for its fds). Addresses are printed as
/// 32-bit words in host byte order; ports in hex, as numbers.
/// </summary>
internal static class SocketTable
{
    private static readonly (string File, string Protocol)[] Tables =
        [("tcp", "tcp"), ("tcp6", "tcp6"), ("udp", "udp"), ("udp6", "udp6")];

    /// <summary>The socket with this inode in <paramref name="pid"/>'s network namespace, or null.</summary>
    public static InetSocket? Find(int pid, ulong inode)
    {
        foreach ((string text, string protocol) in ReadTables(pid))
        {
            if (Parse(text, protocol).FirstOrDefault(s => s.Inode == inode) is { } socket)
                return socket;
        }
        return null;
    }

    /// <summary>Every INET socket of <paramref name="pid"/>'s network namespace, by inode.</summary>
    public static Dictionary<ulong, InetSocket> ReadAll(int pid)
    {
        var sockets = new Dictionary<ulong, InetSocket>();
        foreach ((string text, string protocol) in ReadTables(pid))
        {
            foreach (InetSocket socket in Parse(text, protocol))
                sockets.TryAdd(socket.Inode, socket);
        }
        return sockets;
    }

    // The tables one at a time (Find stops at the first that has the socket); unreadable ones skipped.
    private static IEnumerable<(string Text, string Protocol)> ReadTables(int pid)
    {
        foreach ((string file, string protocol) in Tables)
        {
            string text;
            try
            {
                text = File.ReadAllText($"/proc/{pid}/net/{file}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            yield return (text, protocol);
        }
    }

    public static IEnumerable<InetSocket> Parse(string table, string protocol)
    {
        foreach (string line in table.Split('\n').Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || !ulong.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
                continue;
            if (TryParseEndPoint(f[1], out IPEndPoint? local) && TryParseEndPoint(f[2], out IPEndPoint? remote))
                yield return new InetSocket(protocol, inode, local!, remote!);
        }
    }

    internal static bool TryParseEndPoint(string text, out IPEndPoint? endPoint)
    {
        endPoint = null;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int port))
            return false;
        string hex = text[..colon];
        if (hex.Length is not (8 or 32))
            return false;
        byte[] bytes = new byte[hex.Length / 2];
        for (int word = 0; word < hex.Length / 8; word++)
        {
            if (!uint.TryParse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value))
                return false;
            // The kernel printed the word as a host-order (little-endian) integer.
            BitConverter.TryWriteBytes(bytes.AsSpan(word * 4, 4), value);
        }
        endPoint = new IPEndPoint(new IPAddress(bytes), port);
        return true;
    }
}
