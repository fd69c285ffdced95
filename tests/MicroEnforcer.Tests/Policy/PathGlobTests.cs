using System.Diagnostics;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class PathGlobTests
{
    [Theory]
    [InlineData("/usr/bin/curl", "/usr/bin/curl", true)]
    [InlineData("/usr/bin/curl", "/usr/bin/Curl", false)]
    [InlineData("/usr/bin/curl", "/usr/bin/curl2", false)]
    [InlineData("/usr/bin/*", "/usr/bin/curl", true)]
    [InlineData("/usr/bin/*", "/usr/bin/x/y", false)]
    [InlineData("/usr/bin/*", "/usr/bin", false)]
    [InlineData("/usr/*/curl", "/usr/bin/curl", true)]
    [InlineData("/usr/*/curl", "/usr/local/bin/curl", false)]
    [InlineData("/tmp/build-*/run", "/tmp/build-42/run", true)]
    [InlineData("/tmp/*-*.sh", "/tmp/a-b-c.sh", true)]
    [InlineData("/tmp/*.sh", "/tmp/.sh", true)]
    [InlineData("/tmp/*.sh", "/tmp/x.shx", false)]
    [InlineData("/a*b*c", "/axxbyyc", true)]
    [InlineData("/a*b*c", "/axxbyy", false)]
    [InlineData("/opt/**", "/opt/a/b/c", true)]
    [InlineData("/opt/**", "/opt/x", true)]
    [InlineData("/opt/**", "/opt", true)] // '**' may match zero segments
    [InlineData("/opt/**", "/optx/a", false)]
    [InlineData("/opt/**/bin/*", "/opt/bin/run", true)]
    [InlineData("/opt/**/bin/*", "/opt/a/b/bin/run", true)]
    [InlineData("/opt/**/bin/*", "/opt/a/b/bin/x/run", false)]
    [InlineData("/**/python3", "/usr/bin/python3", true)]
    [InlineData("/**/python3", "/usr/bin/python3.11", false)]
    [InlineData("/**", "/anything/at/all", true)]
    [InlineData("/opt/a**b", "/opt/axxb", true)] // '**' inside a segment is just '*'
    [InlineData("/opt/a**b", "/opt/ax/xb", false)]
    [InlineData("/usr/bin/python3.?", "/usr/bin/python3.9", true)]
    [InlineData("/usr/bin/python3.?", "/usr/bin/python3.11", false)]
    [InlineData("/usr/bin/?", "/usr/bin/", false)]
    [InlineData("/bin/[abc]at", "/bin/cat", true)]
    [InlineData("/bin/[abc]at", "/bin/rat", false)]
    [InlineData("/bin/[a-c]at", "/bin/bat", true)]
    [InlineData("/bin/[a-cx-z]at", "/bin/yat", true)]
    [InlineData("/bin/[!a-c]at", "/bin/rat", true)]
    [InlineData("/bin/[!a-c]at", "/bin/cat", false)]
    [InlineData("/bin/[]]x", "/bin/]x", true)]
    [InlineData("/bin/[a-]x", "/bin/-x", true)]
    [InlineData("/a/b", "/a/b/", false)]
    [InlineData("/app/*", "app/x", false)]
    [InlineData("/app/*", "", false)]
    public void Matches(string pattern, string path, bool expected)
    {
        Assert.True(PathGlob.TryParse(pattern, out var glob, out var error), error);
        Assert.Equal(expected, glob.Matches(path));
    }

    [Theory]
    [InlineData("/**/**/**/**/**/**/**/**/**/**/**/**/a")]
    [InlineData("/**/x/**/x/**/x/**/x/**/x/**/x/**/y")]
    [InlineData("/*x*x*x*x*x*x*x*x*x*x*x*x*x*y")]
    public void PathologicalPatterns_MatchInPolynomialTime(string pattern)
    {
        Assert.True(PathGlob.TryParse(pattern, out var glob, out _));
        string deepPath = string.Concat(Enumerable.Repeat("/x", 2_000));
        string longSegment = "/" + new string('x', 2_000);

        var watch = Stopwatch.StartNew();
        Assert.False(glob.Matches(deepPath));
        Assert.False(glob.Matches(longSegment));
        watch.Stop();

        // A backtracking matcher needs longer than the age of the universe here; ours needs milliseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("", "the pattern is empty")]
    [InlineData("usr/bin/*", "the pattern must be an absolute path starting with '/'")]
    [InlineData("**/bin", "the pattern must be an absolute path starting with '/'")]
    [InlineData("/bin/[abc", "unterminated character class: the '[' at character 6 has no closing ']'")]
    [InlineData("/opt/[a/b]", "unterminated character class: the '[' at character 6 has no closing ']'")]
    [InlineData("/bin/[]", "unterminated character class")]
    [InlineData("/bin/[z-a]", "invalid range 'z-a' in character class: the range is reversed")]
    public void TryParse_RejectsInvalidPatterns(string pattern, string message)
    {
        Assert.False(PathGlob.TryParse(pattern, out var glob, out var error));
        Assert.Null(glob);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_IsThePattern_AndEqualityFollowsIt()
    {
        Assert.True(PathGlob.TryParse("/opt/**/bin/*", out var a, out _));
        Assert.True(PathGlob.TryParse("/opt/**/bin/*", out var b, out _));
        Assert.True(PathGlob.TryParse("/opt/*", out var c, out _));

        Assert.Equal("/opt/**/bin/*", a.ToString());
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }
}
