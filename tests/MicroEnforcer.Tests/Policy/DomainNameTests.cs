using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class DomainNameTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Pool.MineXMR.com", "pool.minexmr.com")]
    [InlineData("example.com.", "example.com")]          // the root's dot
    [InlineData("*.example.com", "example.com")]         // the same as the bare name: subdomains are covered anyway
    [InlineData("_dmarc.example.com", "_dmarc.example.com")]
    [InlineData("-lead.trail-.example", "-lead.trail-.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("localhost", "localhost")]
    [InlineData("123.example", "123.example")]
    public void TryParse_Normalises(string text, string name)
    {
        Assert.True(DomainName.TryParse(text, out DomainName domain, out string error), error);

        Assert.Equal(name, domain.Name);
        Assert.Equal(name, domain.ToString());
    }

    [Theory]
    [InlineData("exa mple.com", "invalid character ' ' at position 4")]
    [InlineData("http://example.com", "invalid character ':' at position 5")]
    [InlineData("example.com/path", "invalid character '/' at position 12")]
    [InlineData("*.exa$mple.com", "invalid character '$' at position 6")]
    [InlineData("foo.*.com", "invalid character '*'")]
    [InlineData("bücher.example", "invalid character U+00FC (write an internationalised name in its xn-- form) at position 2")]
    [InlineData("bücher.example", "xn--")]
    [InlineData("a..b", "empty label at position 3")]
    [InlineData(".example.com", "empty label at position 1")]
    [InlineData("", "the domain name is empty")]
    [InlineData("*.", "names no domain")]
    [InlineData(".", "names no domain")]
    [InlineData("10.0.0.1", "is an IPv4 address, not a domain name")]
    public void TryParse_Refuses_WithTheCharacterAndPosition(string text, string reason)
    {
        Assert.False(DomainName.TryParse(text, out _, out string error));

        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_KeepsDnsLengthLimits()
    {
        string label63 = new('a', 63);
        Assert.True(DomainName.TryParse($"{label63}.example", out _, out string error), error);

        Assert.False(DomainName.TryParse($"{label63}b.example", out _, out error));
        Assert.Contains("label of 64 characters at position 1", error, StringComparison.Ordinal);

        string name253 = $"{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', 61)}";
        Assert.Equal(253, name253.Length);
        Assert.True(DomainName.TryParse(name253, out _, out error), error);
        Assert.True(DomainName.TryParse(name253 + ".", out _, out error), error);
        Assert.False(DomainName.TryParse(name253 + "d", out _, out error));
        Assert.Contains("254 characters long; a domain name has at most 253", error, StringComparison.Ordinal);
    }
}
