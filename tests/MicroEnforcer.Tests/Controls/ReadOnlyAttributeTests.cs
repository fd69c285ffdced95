using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>The pure parts of Read-Only's attribute guard: which paths are read-only, and the caller's credentials from /proc/TID/status.</summary>
public sealed class ReadOnlyAttributeTests
{
    [Theory]
    [InlineData("/srv/ro", true)]
    [InlineData("/srv/ro/f", true)]
    [InlineData("/srv/ro/deep/er/f", true)]
    [InlineData("/srv/ro/cache", false)]
    [InlineData("/srv/ro/cache/f", false)]
    [InlineData("/srv/rw/f", false)]
    [InlineData("/srv/robin", false)]
    [InlineData("/usr/bin/ls", true)]
    [InlineData("/usr/lib/x", false)]
    [InlineData("/", false)]
    public void APathIsReadOnlyUnderAListedPathOutsideAnException(string path, bool readOnly)
    {
        var policy = new ReadOnlyPolicy(true, EnforcementMode.Enforce, FallbackMode.Refuse,
            Globs("/srv/ro", "/usr/bin/**"), Globs("/srv/ro/cache"));

        Assert.Equal(readOnly, new ReadOnlyPaths(policy, null!, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).IsReadOnly(path));
    }

    [Fact]
    public void TheCredentialsAreTheFilesystemIdsTheGroupsAndTheEffectiveSet()
    {
        const string status = "Name:\tx\nUid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nGroups:\t4 5 6 \n" +
            "CapInh:\t0000000000000000\nCapPrm:\t00000000000000ff\nCapEff:\t0000000000000003\n";

        var credentials = CallerCredentials.Parse(status)!;

        Assert.Equal(1003u, credentials.FsUid);
        Assert.Equal(2003u, credentials.FsGid);
        Assert.Equal([4u, 5u, 6u], credentials.Groups);
        Assert.Equal(3ul, credentials.Effective);
        Assert.Null(CallerCredentials.Parse("Name:\tx\n"));
    }

    private static PolicyList<PathGlob> Globs(params string[] patterns) =>
        PolicyList.From(patterns.Select(p => PathGlob.TryParse(p, out var glob, out _) ? glob : throw new ArgumentException(p)));
}
