using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MicroEnforcer.Interop;

/// <summary>
/// An IPv4 or IPv6 endpoint as the kernel's sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes):
/// family in host order, port and address in network order.
/// </summary>
internal static class InetSocketAddress
{
    /// <summary>Room for either form.</summary>
    public const int MaxLength = 28;

    /// <summary>Writes <paramref name="endpoint"/> into <paramref name="sockaddr"/> (at least <see cref="MaxLength"/> bytes); returns its length.</summary>
    public static int Write(IPEndPoint endpoint, Span<byte> sockaddr)
    {
        sockaddr[..MaxLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(sockaddr[2..], (ushort)endpoint.Port);
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, Libc.AF_INET);
            endpoint.Address.TryWriteBytes(sockaddr.Slice(4, 4), out _);
            return 16;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(sockaddr, Libc.AF_INET6);
        endpoint.Address.TryWriteBytes(sockaddr.Slice(8, 16), out _);
        BinaryPrimitives.WriteUInt32LittleEndian(sockaddr[24..], (uint)endpoint.Address.ScopeId);
        return 28;
    }

    /// <summary>The endpoint in a sockaddr the kernel filled in; null when it is neither form.</summary>
    public static IPEndPoint? Read(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 2)
            return null;
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sockaddr);
        int port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        return family switch
        {
            Libc.AF_INET when sockaddr.Length >= 8 => new IPEndPoint(new IPAddress(sockaddr.Slice(4, 4)), port),
            Libc.AF_INET6 when sockaddr.Length >= 28 => new IPEndPoint(new IPAddress(sockaddr.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(sockaddr[24..])), port),
            _ => null,
        };
    }
}
