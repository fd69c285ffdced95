using System.Buffers.Binary;
using System.Net;
using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// A sockaddr is decoded as the kernel reads it for the socket's family: an AF_UNSPEC address is
/// an IPv4 destination to an AF_INET socket's sendto and bind (a decoder that trusted the family
/// field would let it through unjudged), and a disconnect to connect.
/// </summary>
public sealed class SockaddrTests
{
    private const int AF_INET = 2, AF_INET6 = 10;

    private static byte[] V4(ushort family, string address, int port)
    {
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, family);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)port);
        IPAddress.Parse(address).TryWriteBytes(bytes.AsSpan(4), out _);
        return bytes;
    }

    [Fact]
    public void AnUnspecifiedFamilyIsIPv4ToAnInetSocketsSendAndBind()
    {
        foreach (NetworkOperation operation in new[] { NetworkOperation.Send, NetworkOperation.Bind })
            Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 4444), Sockaddr.Decode(V4(0, "203.0.113.9", 4444), AF_INET, operation));
    }

    [Fact]
    public void AnUnspecifiedFamilyIsADisconnectToConnect_AndNothingToAnInet6Socket()
    {
        Assert.Null(Sockaddr.Decode(V4(0, "203.0.113.9", 4444), AF_INET, NetworkOperation.Connect));
        Assert.Null(Sockaddr.Decode(V4(0, "203.0.113.9", 4444), AF_INET6, NetworkOperation.Send));
    }

    [Fact]
    public void AnInetAddressOnAnInet6SocketIsIPv4_AndAMappedOneToo()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 53), Sockaddr.Decode(V4(AF_INET, "127.0.0.1", 53), AF_INET6, NetworkOperation.Send));
        byte[] mapped = Sockaddr.Encode(new IPEndPoint(IPAddress.Parse("127.66.0.1"), 80), AF_INET6);
        Assert.Equal(28, mapped.Length);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.66.0.1"), 80), Sockaddr.Decode(mapped, AF_INET6, NetworkOperation.Connect));
    }

    [Fact]
    public void TooShortAddressesDecodeToNothing()
    {
        Assert.Null(Sockaddr.Decode(V4(AF_INET, "10.0.0.1", 80).AsSpan(0, 7), AF_INET, NetworkOperation.Connect));
        Assert.Null(Sockaddr.Decode(new byte[20] { 10, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, AF_INET6, NetworkOperation.Connect));
    }

    [Fact]
    public void Text_BracketsIPv6()
    {
        Assert.Equal("[fd66::1]:80", Sockaddr.Text(new IPEndPoint(IPAddress.Parse("fd66::1"), 80)));
        Assert.Equal("10.0.0.1:53", Sockaddr.Text(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 53)));
    }
}
