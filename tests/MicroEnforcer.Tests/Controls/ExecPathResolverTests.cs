using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

public sealed class ExecPathResolverTests
{
    [Theory]
    [InlineData("/proc/self/fd/3", "/proc/9/fd/3", "")]                    // the caller's self, not ours
    [InlineData("/proc/thread-self/fd/3", "/proc/9/task/9/fd/3", "")]
    [InlineData("/proc/self/exe", "/proc/9/exe", "")]
    [InlineData("/proc/42/exe", "/proc/42/exe", "")]                       // an explicit pid means that pid
    [InlineData("/proc/42/task/43/fd/0", "/proc/42/task/43/fd/0", "")]
    [InlineData("/proc/self/root/bin/ls", "/proc/9/root", "bin/ls")]
    [InlineData("/proc/self/cwd/./x", "/proc/9/cwd", "./x")]
    [InlineData("/proc/self/fd/7/sub/file", "/proc/9/fd/7", "sub/file")]
    public void CallersProcLinksAreMappedToTheCaller(string path, string expectedBase, string expectedRest)
    {
        var link = ExecPathResolver.CallerLink(9, path);

        Assert.NotNull(link);
        Assert.Equal(expectedBase, link.Value.Base);
        Assert.Equal(expectedRest, link.Value.Rest);
    }

    [Theory]
    [InlineData("/bin/ls")]
    [InlineData("/proc/selfish/fd/3")]
    [InlineData("/proc/self/fdx/3")]
    [InlineData("/proc/./self/fd/3")]      // not a recognised form: resolved with RESOLVE_NO_MAGICLINKS, which refuses it
    [InlineData("/proc/0/exe")]
    [InlineData("/proc/self/status")]
    public void OtherPathsAreNotLinks(string path)
    {
        Assert.Null(ExecPathResolver.CallerLink(9, path));
    }
}
