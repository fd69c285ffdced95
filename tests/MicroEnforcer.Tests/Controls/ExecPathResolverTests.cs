using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

public sealed class ExecPathResolverTests
{
    [Theory]
    [InlineData(Libc.AT_FDCWD, "/bin/ls", 0, "/proc/9/root/bin/ls")]
    [InlineData(Libc.AT_FDCWD, "./h", 0, "/proc/9/cwd/./h")]
    [InlineData(Libc.AT_FDCWD, "h", 0, "/proc/9/cwd/h")]
    [InlineData(5, "h", 0, "/proc/9/fd/5/h")]
    [InlineData(5, "/bin/ls", 0, "/proc/9/root/bin/ls")]            // absolute ignores dirfd
    [InlineData(5, "", Libc.AT_EMPTY_PATH, "/proc/9/fd/5")]         // fexecve
    [InlineData(5, "", 0, null)]                                    // empty without AT_EMPTY_PATH: ENOENT
    [InlineData(Libc.AT_FDCWD, "", Libc.AT_EMPTY_PATH, null)]
    [InlineData(Libc.AT_FDCWD, "/proc/self/fd/3", 0, "/proc/9/fd/3")]   // the caller's self, not ours
    [InlineData(Libc.AT_FDCWD, "/proc/self", 0, "/proc/9")]
    [InlineData(Libc.AT_FDCWD, "/proc/thread-self/exe", 0, "/proc/9/task/9/exe")]
    [InlineData(Libc.AT_FDCWD, "/proc/selfish", 0, "/proc/9/root/proc/selfish")]
    public void LookupPathGoesThroughTheCallersProcLinks(int dirFd, string path, int flags, string? expected)
    {
        Assert.Equal(expected, ExecPathResolver.LookupPath(9, dirFd, path, flags));
    }
}
