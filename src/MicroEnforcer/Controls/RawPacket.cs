using System.Buffers.Binary;
using System.Net;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// Where a raw socket's packet goes. A raw socket writes the transport header itself (and with
/// IP_HDRINCL, or IPPROTO_RAW, the IP header too), so the port, and then even the address, are
/// in the data, not in the sockaddr: a scanner's SYN and UDP probes (nmap -sS, -sU as root) name
/// their ports there. Raw sockets need CAP_NET_RAW.
/// </summary>
internal static class RawPacket
{
    /// <summary>The packet's destination (address and TCP/UDP port; port 0 for other protocols), or null when the data says nothing.</summary>
    public static IPEndPoint? Destination(ReadOnlySpan<byte> data, CallerSocket socket, IPEndPoint? sockaddr)
    {
        if (socket.Family == Libc.AF_INET && IncludesIpHeader(socket))
        {
            if (data.Length < 20 || data[0] >> 4 != 4)
                return null;
            int headerLength = (data[0] & 0xf) * 4;
            var address = new IPAddress(data.Slice(16, 4));
            return new IPEndPoint(address, TransportPort(data[9], data, headerLength));
        }
        return sockaddr is null ? null : new IPEndPoint(sockaddr.Address, TransportPort(socket.Protocol, data, 0));
    }

    private static bool IncludesIpHeader(CallerSocket socket) =>
        socket.Protocol == Libc.IPPROTO_RAW || Libc.SocketOption(socket.Fd, Libc.IPPROTO_IP, Libc.IP_HDRINCL) > 0;

    // The destination port of a TCP or UDP header starting at offset, or 0.
    private static int TransportPort(int protocol, ReadOnlySpan<byte> data, int offset) =>
        protocol is Libc.IPPROTO_TCP or Libc.IPPROTO_UDP && offset >= 0 && data.Length >= offset + 4
            ? BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]) : 0;
}
