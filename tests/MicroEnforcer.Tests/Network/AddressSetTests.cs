using System.Net;
using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Network;

public class AddressSetTests
{
    private static IpNetwork Net(string text) =>
        IpNetwork.TryParse(text, out IpNetwork? network, out string error) ? network : throw new ArgumentException(error);

    private static AddressSet Set(params string[] networks) => AddressSet.From(networks.Select(Net));

    [Theory]
    [InlineData("10.1.2.3", "10.0.0.0/8")]
    [InlineData("10.255.255.255", "10.0.0.0/8")]
    [InlineData("192.0.2.1", "192.0.2.1/32")]
    [InlineData("2001:db8::1", "2001:db8::/32")]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32")]
    [InlineData("fd00::5", "fd00::5/128")]
    [InlineData("::ffff:10.9.8.7", "10.0.0.0/8")]             // an IPv4-mapped peer is its IPv4 address
    [InlineData("::ffff:198.51.100.7", "198.51.100.0/24")]    // a mapped network listed as IPv6 is its IPv4 network
    [InlineData("198.51.100.200", "198.51.100.0/24")]
    public void Match_NamesTheListedNetwork(string address, string network)
    {
        AddressSet set = Set("10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "fd00::5", "::ffff:198.51.100.0/120");

        Assert.Equal(network, set.Match(IPAddress.Parse(address))?.ToString());
        Assert.True(set.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("192.0.2.2")]
    [InlineData("2001:db9::")]
    [InlineData("fd00::4")]
    [InlineData("fd00::6")]
    [InlineData("::10.1.2.3")]        // IPv4-compatible, not mapped: an IPv6 address
    [InlineData("::ffff:11.0.0.1")]
    public void Match_IsNullOutsideEveryNetwork(string address)
    {
        AddressSet set = Set("10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "fd00::5", "::ffff:198.51.100.0/120");

        Assert.Null(set.Match(IPAddress.Parse(address)));
        Assert.False(set.Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void AnIPv6NetworkNeverMatchesIPv4Traffic()
    {
        AddressSet set = Set("::/0");

        Assert.NotNull(set.Match(IPAddress.Parse("2001:db8::1")));
        Assert.Null(set.Match(IPAddress.Parse("10.0.0.1")));
        Assert.Null(set.Match(IPAddress.Parse("::ffff:10.0.0.1")));
    }

    [Fact]
    public void NestedNetworksMerge_IntoTheWidestOne()
    {
        AddressSet set = Set("10.1.0.0/16", "10.0.0.0/8", "10.1.2.0/24", "10.0.0.0/8", "10.1.2.3", "2001:db8:1::/48", "2001:db8::/32");

        Assert.Equal(2, set.Count);
        Assert.Equal("10.0.0.0/8", set.Match(IPAddress.Parse("10.1.2.3"))?.ToString());
        Assert.Equal("2001:db8::/32", set.Match(IPAddress.Parse("2001:db8:1::1"))?.ToString());
    }

    [Fact]
    public void AdjacentNetworksStayListedEntries_AndLeaveNoGap()
    {
        AddressSet set = Set("10.0.1.0/24", "10.0.0.0/24", "10.0.2.0/23");

        Assert.Equal(3, set.Count);
        Assert.Equal("10.0.0.0/24", set.Match(IPAddress.Parse("10.0.0.255"))?.ToString());
        Assert.Equal("10.0.1.0/24", set.Match(IPAddress.Parse("10.0.1.0"))?.ToString());
        Assert.Equal("10.0.2.0/23", set.Match(IPAddress.Parse("10.0.3.255"))?.ToString());
        Assert.Null(set.Match(IPAddress.Parse("10.0.4.0")));
    }

    [Fact]
    public void TheWholeSpaceAndTheLastAddressMatch()
    {
        Assert.NotNull(Set("0.0.0.0/0").Match(IPAddress.Parse("255.255.255.255")));
        Assert.NotNull(Set("255.255.255.255").Match(IPAddress.Parse("255.255.255.255")));
        Assert.NotNull(Set("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").Match(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        Assert.Null(Set("255.255.255.255").Match(IPAddress.Parse("255.255.255.254")));
        Assert.Null(AddressSet.Empty.Match(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void From_UnitesSets_AndComparesByContent()
    {
        AddressSet file = Set("10.0.0.0/8", "fd00::/8");
        AddressSet all = AddressSet.From([Net("192.0.2.0/24")], file);

        Assert.Equal(3, all.Count);
        Assert.Equal(Set("fd00::/8", "192.0.2.0/24", "10.0.0.0/8", "10.1.0.0/16"), all);
        Assert.NotEqual(file, all);
    }

    [Fact]
    public void ManyNetworks_AreFoundByBisection()
    {
        // 100,000 disjoint /32s and /128s: each one's first and last neighbours are misses.
        var builder = new AddressSet.Builder();
        for (int i = 0; i < 50_000; i++)
        {
            builder.Add(Net($"100.{i >> 8 & 255}.{i & 255}.{(i % 2) * 2}"));
            builder.Add(Net($"2001:db8::{i:x}:0"));
        }
        AddressSet set = builder.Build();

        Assert.Equal(100_000, set.Count);
        Assert.Equal("100.0.7.2/32", set.Match(IPAddress.Parse("100.0.7.2"))?.ToString());
        Assert.Null(set.Match(IPAddress.Parse("100.0.7.1")));
        Assert.Equal("2001:db8::c34f:0/128", set.Match(IPAddress.Parse("2001:db8::c34f:0"))?.ToString());
        Assert.Null(set.Match(IPAddress.Parse("2001:db8::c34f:1")));
    }
}
