using MicroEnforcer.Audit.Transport;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Transport;

public sealed class ServerIdentityTests
{
    [Theory]
    [InlineData("localhost", "localhost", true)]
    [InlineData("LocalHost", "localhost", true)]
    [InlineData("collector.example.com.", "collector.example.com", true)]
    [InlineData("*.example.com", "collector.example.com", true)]
    [InlineData("*.example.com", "COLLECTOR.Example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.example.com", ".example.com", false)]
    [InlineData("*.com", "example.com", false)]
    [InlineData("c*.example.com", "collector.example.com", false)]
    [InlineData("a.*.example.com", "a.b.example.com", false)]
    [InlineData("*.*.example.com", "a.b.example.com", false)]
    [InlineData("example.com", "collector.example.com", false)]
    [InlineData("", "example.com", false)]
    public void DnsNames_FollowRfc6125(string pattern, string host, bool matches) =>
        Assert.Equal(matches, ServerIdentity.MatchesDnsName(pattern, host));

    [Theory]
    [InlineData("collector.example.com", true)]
    [InlineData("localhost", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    public void SniIsSentForDnsNamesOnly(string serverName, bool isDnsName) =>
        Assert.Equal(isDnsName, ServerIdentity.IsDnsName(serverName));
}
