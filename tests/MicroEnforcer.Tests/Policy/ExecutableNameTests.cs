using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>File-name patterns, shared by the reverse-shell interpreters and the executables lists.</summary>
public class ExecutableNameTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", true)]
    [InlineData("py*", "py", true)]
    [InlineData("py*", "p", false)]
    [InlineData("*sh", "bash", true)]
    [InlineData("*sh", "bashx", false)]
    [InlineData("b*h", "bash", true)]
    [InlineData("b*h", "bh", true)]
    [InlineData("b*h", "bashrc", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("a**b", "ab", true)]
    [InlineData("python?", "python3", false)] // only '*' is special
    [InlineData("python?", "python?", true)]
    [InlineData("lua[0-9]", "lua5", false)]
    [InlineData("lua[0-9]", "lua[0-9]", true)]
    public void Matches_OnlyStarIsSpecial(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, ExecutableName.Matches(pattern, name));
    }

    [Fact]
    public void Matches_StaysFast_OnPathologicalPatterns()
    {
        string pattern = string.Concat(Enumerable.Repeat("a*", 200)) + "b";
        string name = new('a', 5000);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(ExecutableName.Matches(pattern, name));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("nginx", null)]
    [InlineData("python*", null)]
    [InlineData("", "the executable name is empty")]
    [InlineData("/usr/bin/curl", "give a file name, not a path (it is matched against the executable's file name); did you mean 'curl'?")]
    [InlineData("bin/", "give a file name, not a path (it is matched against the executable's file name)")]
    public void Check_RefusesEmptyNamesAndPaths(string text, string? expected)
    {
        Assert.Equal(expected, ExecutableName.Check(text));
    }
}
