using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>What File Integrity Monitoring counts as a watched path.</summary>
public sealed class WatchedPathsTests
{
    private static WatchedPaths Of(params string[] patterns) => new(PolicyList.From(patterns.Select(p =>
        PathGlob.TryParse(p, out PathGlob? glob, out _) ? glob : throw new ArgumentException(p))));

    [Theory]
    [InlineData("/etc/passwd", true)]
    [InlineData("/etc/passwd-", false)]
    [InlineData("/srv/app", true)]              // the listed directory itself
    [InlineData("/srv/app/a/b/c.txt", true)]    // and everything beneath it
    [InlineData("/srv/application", false)]
    [InlineData("/etc/cron.d/job", true)]
    [InlineData("/etc/cron.daily", true)]       // ** spans zero segments
    [InlineData("/etc/crontab", true)]         // cron* matches it, and ** the empty rest
    [InlineData("/etc/cro", false)]
    [InlineData("/tmp/x", false)]
    [InlineData(null, false)]
    public void APathIsWatchedWhenAGlobMatchesItOrAnAncestor(string? path, bool watched) =>
        Assert.Equal(watched, Of("/etc/passwd", "/srv/app", "/etc/cron*/**").Covers(path));

    [Theory]
    [InlineData("/etc", true)]      // renaming /etc moves /etc/cron.d and /etc/passwd
    [InlineData("/srv", true)]
    [InlineData("/", true)]
    [InlineData("/var", false)]
    [InlineData("/et", false)]
    public void ADirectoryAboveWatchedPathsCountsForRenamesAndDeletions(string path, bool watched)
    {
        WatchedPaths paths = Of("/etc/passwd", "/srv/app", "/etc/cron*/**");

        Assert.Equal(watched, paths.Covers(path, orAbove: true));
        Assert.False(paths.Covers(path));
    }

    [Fact]
    public void TheDefaultsAreValidGlobsAndCoverTheUsualTargets()
    {
        var defaults = new WatchedPaths(WatchedPaths.DefaultGlobs);

        foreach (string path in new[] { "/etc/shadow", "/etc/sudoers.d/admin", "/root/.ssh/authorized_keys", "/etc/cron.hourly/x",
                     "/var/spool/cron/crontabs/root", "/usr/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib64/ld.so", "/etc/ld.so.preload" })
            Assert.True(defaults.Covers(path), path);
        foreach (string path in new[] { "/etc/hosts", "/tmp/x", "/var/log/nginx/access.log", "/home/u/.ssh/id_rsa" })
            Assert.False(defaults.Covers(path), path);
    }

    [Theory]
    [InlineData(0, "read")]
    [InlineData(1, "write")]
    [InlineData(2, "read|write")]
    [InlineData(0x41, "write|create")]
    [InlineData(0x241, "write|create|truncate")]
    [InlineData(0x200, "read|truncate")]
    [InlineData(0x410002, "read|write|create")]   // O_TMPFILE|O_RDWR
    public void AnOpensOperationsComeFromItsFlags(int flags, string operations) =>
        Assert.Equal(operations, FileCall.OpenOperation(flags).Name());
}
