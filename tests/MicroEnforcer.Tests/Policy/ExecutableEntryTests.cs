using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>Entries of the executables lists: absolute path globs or file names.</summary>
public class ExecutableEntryTests
{
    [Theory]
    [InlineData("/usr/bin/ssh*", "/usr/bin/ssh", true)]
    [InlineData("/usr/bin/ssh*", "/usr/bin/ssh-keygen", true)]
    [InlineData("/usr/bin/ssh*", "/usr/bin/scp", false)]
    [InlineData("/usr/**", "/usr/local/bin/app", true)]
    [InlineData("/bin/busybox", "/bin/busybox", true)]
    public void PathEntries_MatchCanonicalPathsByGlob(string text, string path, bool expected)
    {
        Assert.True(ExecutableEntry.TryParse(text, out ExecutableEntry? entry, out _));
        Assert.False(entry.IsName);
        Assert.Equal(expected, entry.MatchesPath(path));
        Assert.False(entry.MatchesName(ExecTargetName(path)));
    }

    [Theory]
    [InlineData("nc", "nc", true)]
    [InlineData("nc", "nc.openbsd", false)]
    [InlineData("nc*", "nc.openbsd", true)]
    [InlineData("python3*", "python3.12", true)]
    [InlineData("python3*", "python2", false)]
    [InlineData("wget", "", false)]
    [InlineData("wget", null, false)]
    public void NameEntries_MatchFileNames(string text, string? name, bool expected)
    {
        Assert.True(ExecutableEntry.TryParse(text, out ExecutableEntry? entry, out _));
        Assert.True(entry.IsName);
        Assert.Equal(expected, entry.MatchesName(name));
        Assert.False(entry.MatchesPath("/usr/bin/" + name));
    }

    [Theory]
    [InlineData("", "the entry is empty: give an absolute path glob (e.g. /usr/bin/curl) or a file name (e.g. curl)")]
    [InlineData("bin/sh", "'bin/sh' is a relative path: give an absolute path glob (e.g. '/bin/sh') or a file name (e.g. 'sh')")]
    [InlineData("./run.sh", "'./run.sh' is a relative path: give an absolute path glob (e.g. '/./run.sh') or a file name (e.g. 'run.sh')")]
    [InlineData("usr/bin/", "'usr/bin/' is a relative path: give an absolute path glob (e.g. '/usr/bin/*') or a file name")]
    [InlineData("/usr/bin/[ab", "invalid glob '/usr/bin/[ab': ")]
    public void InvalidEntries_SayWhatToWrite(string text, string expectedStart)
    {
        Assert.False(ExecutableEntry.TryParse(text, out _, out string error));
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
    }

    private static string ExecTargetName(string path) => path[(path.LastIndexOf('/') + 1)..];
}
