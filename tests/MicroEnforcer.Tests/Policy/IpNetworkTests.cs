using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class IpNetworkTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8", 8)]
    [InlineData("192.168.1.5/32", "192.168.1.5/32", 32)]
    [InlineData("192.168.1.5", "192.168.1.5/32", 32)] // a bare address is a network of one
    [InlineData("0.0.0.0/0", "0.0.0.0/0", 0)]
    [InlineData("255.255.255.255/32", "255.255.255.255/32", 32)]
    [InlineData("172.16.0.0/12", "172.16.0.0/12", 12)]
    [InlineData("10.0.0.0/08", "10.0.0.0/8", 8)]
    [InlineData("::1/128", "::1/128", 128)]
    [InlineData("::1", "::1/128", 128)]
    [InlineData("fd00::/8", "fd00::/8", 8)]
    [InlineData("FD00:0000::/8", "fd00::/8", 8)]
    [InlineData("2001:db8::/32", "2001:db8::/32", 32)]
    [InlineData("::/0", "::/0", 0)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104", 104)]
    public void TryParse_Accepts_AndPrintsCanonically(string text, string canonical, int prefix)
    {
        Assert.True(IpNetwork.TryParse(text, out IpNetwork? network, out string error), error);

        Assert.Equal(canonical, network.ToString());
        Assert.Equal(prefix, network.PrefixLength);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData("", "the network is empty; expected an address such as 10.0.0.0/8 or fd00::/8")]
    [InlineData("abc", "'abc' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("10.0.0.0/33", "prefix length 33 is too long for an IPv4 network; the maximum is 32")]
    [InlineData("10.0.0.0/99999999999", "prefix length 99999999999 is too long for an IPv4 network; the maximum is 32")]
    [InlineData("::/129", "prefix length 129 is too long for an IPv6 network; the maximum is 128")]
    [InlineData("10.0.0.0/", "missing prefix length after '/'; expected 0 to 32 for an IPv4 network")]
    [InlineData("fd00::/", "missing prefix length after '/'; expected 0 to 128 for an IPv6 network")]
    [InlineData("10.0.0.0/-1", "invalid prefix length '-1'; expected a number from 0 to 32")]
    [InlineData("10.0.0.0/8/8", "invalid prefix length '8/8'; expected a number from 0 to 32")]
    [InlineData("10.0.0.0/x", "invalid prefix length 'x'; expected a number from 0 to 32")]
    [InlineData("/8", "missing address before '/'")]
    [InlineData("10.0.0.1/8", "host bits are set: 10.0.0.1 is not the first address of a /8 network; did you mean 10.0.0.0/8? (or 10.0.0.1/32 for the single address)")]
    [InlineData("192.168.1.5/24", "host bits are set: 192.168.1.5 is not the first address of a /24 network; did you mean 192.168.1.0/24? (or 192.168.1.5/32 for the single address)")]
    [InlineData("1.2.3.4/0", "host bits are set: 1.2.3.4 is not the first address of a /0 network; did you mean 0.0.0.0/0? (or 1.2.3.4/32 for the single address)")]
    [InlineData("fd00::1/8", "host bits are set: fd00::1 is not the first address of a /8 network; did you mean fd00::/8? (or fd00::1/128 for the single address)")]
    [InlineData("10.1", "'10.1' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("10", "'10' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("010.0.0.0/8", "'010.0.0.0' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("0x0a.0.0.0/8", "'0x0a.0.0.0' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("256.0.0.0/8", "'256.0.0.0' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("1.2.3.4.5", "'1.2.3.4.5' is not an IPv4 or IPv6 address; IPv4 is written as four numbers 0-255 without leading zeros, e.g. 192.168.1.5")]
    [InlineData("10.0.0.0 /8", "the network must not contain whitespace")]
    [InlineData("fe80::1%eth0/128", "'fe80::1%eth0' has a zone id ('%'), which networks cannot have")]
    [InlineData("[::1]/128", "'[::1]' is not a valid IPv6 address; write it without brackets or port, e.g. fd00::1")]
    [InlineData("fd00:::1", "'fd00:::1' is not a valid IPv6 address")]
    [InlineData("1:2:3:4:5:6:7:8:9", "'1:2:3:4:5:6:7:8:9' is not a valid IPv6 address")]
    [InlineData("gg::1", "'gg::1' is not a valid IPv6 address; write it without brackets or port, e.g. fd00::1")]
    public void TryParse_Refuses_WithAReason(string text, string expected)
    {
        Assert.False(IpNetwork.TryParse(text, out IpNetwork? network, out string error));

        Assert.Null(network);
        Assert.Equal(expected, error);
    }

    [Theory]
    // IPv4
    [InlineData("10.0.0.0/8", "10.0.0.0", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "9.255.255.255", false)]
    [InlineData("172.16.0.0/12", "172.31.1.1", true)]
    [InlineData("172.16.0.0/12", "172.32.0.0", false)]
    [InlineData("192.168.1.5/32", "192.168.1.5", true)]
    [InlineData("192.168.1.5/32", "192.168.1.4", false)]
    [InlineData("192.168.1.5/32", "192.168.1.6", false)]
    [InlineData("192.168.1.128/25", "192.168.1.200", true)]
    [InlineData("192.168.1.128/25", "192.168.1.127", false)]
    [InlineData("0.0.0.0/0", "0.0.0.0", true)]
    [InlineData("0.0.0.0/0", "255.255.255.255", true)]
    [InlineData("0.0.0.0/0", "::1", false)] // an IPv4 network never holds a real IPv6 address
    // IPv6
    [InlineData("::1/128", "::1", true)]
    [InlineData("::1/128", "::2", false)]
    [InlineData("::1/128", "127.0.0.1", false)]
    [InlineData("fd00::/8", "fd12:3456::1", true)]
    [InlineData("fd00::/8", "fe00::1", false)]
    [InlineData("fd00::/8", "fc00::1", false)]
    [InlineData("2001:db8::/33", "2001:db8:7fff::1", true)]
    [InlineData("2001:db8::/33", "2001:db8:8000::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "::", true)]
    [InlineData("::/0", "10.0.0.1", false)] // IPv4 traffic is exempted only by IPv4 (or mapped) networks
    [InlineData("::/0", "::ffff:10.0.0.1", false)]
    // IPv4-mapped IPv6 addresses count as the IPv4 address they carry
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("192.168.1.5/32", "::ffff:192.168.1.5", true)]
    [InlineData("0.0.0.0/0", "::ffff:1.2.3.4", true)]
    [InlineData("::ffff:10.0.0.0/104", "10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true)]
    [InlineData("::ffff:10.0.0.0/104", "11.1.2.3", false)]
    [InlineData("::ffff:0:0/96", "1.2.3.4", true)]
    [InlineData("::ffff:0:0/96", "::ffff:0:1", true)] // System.Net.IPNetwork alone says false (.NET 10.0.12)
    [InlineData("::ffff:0:0/96", "2001:db8::1", false)]
    public void Contains(string network, string address, bool expected)
    {
        Assert.True(IpNetwork.TryParse(network, out IpNetwork? parsed, out string error), error);

        Assert.Equal(expected, parsed.Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void Contains_IgnoresTheScopeIdOfTheAddress()
    {
        Assert.True(IpNetwork.TryParse("fe80::/10", out IpNetwork? network, out _));

        Assert.True(network.Contains(IPAddress.Parse("fe80::1%2")));
    }

    [Fact]
    public void Contains_NullIsAnError()
    {
        Assert.True(IpNetwork.TryParse("10.0.0.0/8", out IpNetwork? network, out _));

        Assert.Throws<ArgumentNullException>(() => network.Contains(null!));
    }

    [Fact]
    public void Properties_DescribeTheNetwork()
    {
        Assert.True(IpNetwork.TryParse("10.0.0.0/8", out IpNetwork? v4, out _));
        Assert.True(IpNetwork.TryParse("fd00::/8", out IpNetwork? v6, out _));

        Assert.Equal((AddressFamily.InterNetwork, IPAddress.Parse("10.0.0.0"), 8), (v4.AddressFamily, v4.Address, v4.PrefixLength));
        Assert.Equal((AddressFamily.InterNetworkV6, IPAddress.Parse("fd00::"), 8), (v6.AddressFamily, v6.Address, v6.PrefixLength));
    }

    [Fact]
    public void Equality_IsByNetworkAndPrefix()
    {
        static IpNetwork Parse(string text) => IpNetwork.TryParse(text, out IpNetwork? n, out string e) ? n : throw new InvalidOperationException(e);

        Assert.Equal(Parse("10.0.0.0/8"), Parse("10.0.0.0/8"));
        Assert.Equal(Parse("fd00::/8"), Parse("FD00:0::/8"));
        Assert.Equal(Parse("fd00::/8").GetHashCode(), Parse("FD00:0::/8").GetHashCode());
        Assert.Equal(Parse("1.2.3.4"), Parse("1.2.3.4/32"));
        Assert.NotEqual(Parse("10.0.0.0/8"), Parse("10.0.0.0/16"));
        Assert.NotEqual(Parse("0.0.0.0/0"), Parse("::/0"));
        Assert.False(Parse("10.0.0.0/8").Equals(null));
    }
}
