using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Network;

public class DomainSetTests
{
    private static DomainName Name(string text) =>
        DomainName.TryParse(text, out DomainName name, out string error) ? name : throw new ArgumentException(error);

    private static readonly DomainSet Set = DomainSet.From([Name("example.com"), Name("*.pool.minexmr.com"), Name("b.other.org"), Name("other.org")]);

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("www.example.com", "example.com")]
    [InlineData("a.b.c.example.com", "example.com")]
    [InlineData("pool.minexmr.com", "pool.minexmr.com")]          // '*.' covers the name itself too
    [InlineData("eu.pool.minexmr.com", "pool.minexmr.com")]
    [InlineData("EXAMPLE.Com", "example.com")]                    // DNS names ignore case (0x20 randomisation)
    [InlineData("www.example.com.", "example.com")]               // one trailing dot
    [InlineData("x.b.other.org", "b.other.org")]                  // the nearest listed parent
    [InlineData("c.other.org", "other.org")]
    public void Match_NamesTheListedEntryThatCovers(string query, string listed)
    {
        Assert.Equal(listed, Set.Match(query));
    }

    [Theory]
    [InlineData("com")]
    [InlineData("notexample.com")]          // a suffix of the text is not a parent domain
    [InlineData("example.com.evil.net")]
    [InlineData("minexmr.com")]             // a parent of a listed name is not covered
    [InlineData("")]
    [InlineData(".")]
    [InlineData("example.com..")]
    public void Match_IsNullForNamesNotCovered(string query)
    {
        Assert.Null(Set.Match(query));
    }

    [Fact]
    public void From_UnitesSets_AndComparesByContent()
    {
        DomainSet files = DomainSet.From([Name("a.example"), Name("b.example")]);
        DomainSet all = DomainSet.From([Name("c.example")], files, DomainSet.Empty);

        Assert.Equal(3, all.Count);
        Assert.Equal("a.example", all.Match("x.a.example"));
        Assert.Equal("c.example", all.Match("c.example"));
        Assert.Equal(DomainSet.From([Name("c.example"), Name("B.example"), Name("a.example")]), all);
        Assert.NotEqual(files, all);
        Assert.True(all.ContainsExactly("B.EXAMPLE."));
        Assert.False(all.ContainsExactly("x.b.example"));
    }

    [Fact]
    public void ManyNames_GrowTheTable_AndUniteWithOverlap()
    {
        var first = new DomainSet.Builder();
        var second = new DomainSet.Builder(expectedNames: 100_000);
        for (int i = 0; i < 150_000; i++)
        {
            if (i < 100_000)
                Assert.True(first.Add($"host{i}.example"));
            if (i >= 50_000)
                Assert.True(second.Add($"host{i}.example"));
        }
        Assert.False(first.Add("host7.example"));
        DomainSet a = first.Build(), b = second.Build();

        DomainSet all = DomainSet.From([Name("extra.example")], a, b);

        Assert.Equal(150_001, all.Count);
        Assert.Same(a, DomainSet.From([], a, DomainSet.Empty));   // one set alone is its own union
        Assert.Equal("host0.example", all.Match("x.HOST0.example"));
        Assert.Equal("host149999.example", all.Match("host149999.example."));
        Assert.Null(all.Match("host150000.example"));
        Assert.Equal(DomainSet.From([], b, a, DomainSet.From([Name("extra.example")])), all);
    }
}
