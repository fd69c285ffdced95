using System.Text;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// FilePathResolver against the real kernel, with this test process as the caller (its own
/// /proc/PID/cwd, root and fds): a tree with a directory symlink, a file symlink and a dangling one.
/// </summary>
public sealed class FilePathResolverTests : IDisposable
{
    private readonly string _root;
    private readonly int _pid = Environment.ProcessId;

    public FilePathResolverTests()
    {
        _root = Directory.CreateTempSubdirectory("fim-resolver-").FullName;   // expected paths assume no symlink on the way to it
        Directory.CreateDirectory(Path.Combine(_root, "d/sub"));
        File.WriteAllText(Path.Combine(_root, "d/f"), "x");
        File.CreateSymbolicLink(Path.Combine(_root, "link"), "d");
        File.CreateSymbolicLink(Path.Combine(_root, "flink"), "d/f");
        File.CreateSymbolicLink(Path.Combine(_root, "dangle"), "d/new");
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), Path.Combine(_root, "d/f"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string? Resolve(string path, bool follow, int dirFd = Libc.AT_FDCWD, bool emptyPath = false) =>
        FilePathResolver.Resolve(_pid, dirFd, Encoding.UTF8.GetBytes(path), follow, emptyPath);

    [Theory]
    [InlineData("d/f", true, "d/f")]
    [InlineData("d/sub/../f", false, "d/f")]            // ".." in the directory part
    [InlineData("link/f", false, "d/f")]                // a symlinked directory
    [InlineData("flink", true, "d/f")]                  // a final symlink, followed
    [InlineData("flink", false, "flink")]               // not followed (lchown, unlink, O_NOFOLLOW)
    [InlineData("abs", true, "d/f")]                    // an absolute target, resolved from the caller's root
    [InlineData("dangle", true, "d/new")]               // dangling, followed to what O_CREAT would create
    [InlineData("dangle", false, "dangle")]
    [InlineData("link/", false, "d")]                   // a trailing slash follows
    [InlineData("d/.", false, "d")]
    [InlineData("d/new-file", true, "d/new-file")]      // not there yet: its name in the real directory
    public void APathIsResolvedAsTheKernelWould(string relative, bool follow, string expected) =>
        Assert.Equal(Path.Combine(_root, expected).TrimEnd('/'), Resolve(Path.Combine(_root, relative), follow));

    [Fact]
    public void ARelativePathStartsAtTheDirfdAndProcSelfFdIsTheCallers()
    {
        using var dir = new DirFd(Path.Combine(_root, "link"));

        Assert.Equal(Path.Combine(_root, "d/f"), Resolve("f", follow: true, dirFd: dir.Fd));
        Assert.Equal(Path.Combine(_root, "d/f"), Resolve("sub/../f", follow: false, dirFd: dir.Fd));
        Assert.Equal(Path.Combine(_root, "d/f"), Resolve($"/proc/self/fd/{dir.Fd}/f", follow: false));
        Assert.Equal(Path.Combine(_root, "d"), Resolve("", follow: false, dirFd: dir.Fd, emptyPath: true));   // AT_EMPTY_PATH
        Assert.Null(Resolve("", follow: false, dirFd: dir.Fd));                                              // ENOENT
    }

    [Fact]
    public void AMissingDirectoryNamesNoFile() => Assert.Null(Resolve(Path.Combine(_root, "nope/x"), follow: false));

    private sealed class DirFd : IDisposable
    {
        public DirFd(string path) => Fd = NativePath.Open(path, Libc.O_PATH | Libc.O_DIRECTORY);

        public int Fd { get; }

        public void Dispose() => Libc.Close(Fd);
    }
}
