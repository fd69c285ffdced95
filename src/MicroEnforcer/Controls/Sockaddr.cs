using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// A sockaddr as the kernel will read it for a socket of a given family, which is not always
/// what its own family field says: an AF_INET socket takes an AF_UNSPEC address as an IPv4 one
/// in sendto and bind (udp_sendmsg, raw_sendmsg, inet_bind_sk's "compatibility games"), and an
/// AF_INET6 datagram socket sends to and connects to AF_INET addresses (udpv6_sendmsg,
/// __ip6_datagram_connect). A decoder that trusted the family field alone would let an
/// AF_UNSPEC destination through unjudged. Anything it does not decode is something the kernel
/// refuses, or a disconnect (connect with AF_UNSPEC): PID 1 performs the call with the very
/// bytes it decoded, so the kernel sees nothing else.
/// </summary>
internal static class Sockaddr
{
    /// <summary>sizeof(struct sockaddr_storage).</summary>
    public const int MaxLength = 128;

    private const ushort AF_UNSPEC = 0;

    /// <summary>The endpoint the kernel uses, IPv4-mapped IPv6 as IPv4; null: none (see above).</summary>
    public static IPEndPoint? Decode(ReadOnlySpan<byte> sockaddr, int socketFamily, NetworkOperation operation)
    {
        if (sockaddr.Length < 2)
            return null;
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        bool v4 = family == Libc.AF_INET
            || (family == AF_UNSPEC && socketFamily == Libc.AF_INET && operation != NetworkOperation.Connect);
        if (v4 && sockaddr.Length >= 8)
            return new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]));
        if (family == Libc.AF_INET6 && sockaddr.Length >= 24)
        {
            var address = new IPAddress(sockaddr.Slice(8, 16));
            return new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]));
        }
        return null;
    }

    /// <summary>A sockaddr for <paramref name="endpoint"/> on a socket of <paramref name="socketFamily"/> (IPv4 on an AF_INET6 socket: mapped).</summary>
    public static byte[] Encode(IPEndPoint endpoint, int socketFamily)
    {
        IPAddress address = endpoint.Address;
        if (socketFamily == Libc.AF_INET6 && address.AddressFamily == AddressFamily.InterNetwork)
            address = address.MapToIPv6();
        byte[] bytes;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes = new byte[16];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)Libc.AF_INET);
            address.TryWriteBytes(bytes.AsSpan(4, 4), out _);
        }
        else
        {
            bytes = new byte[28];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)Libc.AF_INET6);
            address.TryWriteBytes(bytes.AsSpan(8, 16), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), (uint)address.ScopeId);
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)endpoint.Port);
        return bytes;
    }

    /// <summary>"10.0.0.1:80", "[fd00::1]:53".</summary>
    public static string Text(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";
}
