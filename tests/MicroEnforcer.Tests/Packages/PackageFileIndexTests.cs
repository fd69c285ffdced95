using MicroEnforcer.Baseline;
using MicroEnforcer.Packages;
using Xunit;

namespace MicroEnforcer.Tests.Packages;

/// <summary>
/// A package's files found on disk under a root, in a merged-/usr layout made in a temporary
/// directory: directories resolved inside the root, directories and symlinks left out.
/// </summary>
public sealed class PackageFileIndexTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pkgfiles-").FullName;

    public PackageFileIndexTests()
    {
        Directory.CreateDirectory(Path.Join(_root, "usr/bin"));
        Directory.CreateDirectory(Path.Join(_root, "usr/lib64"));
        Directory.CreateDirectory(Path.Join(_root, "etc/alternatives"));
        Directory.CreateDirectory(Path.Join(_root, "tmp"));
        File.CreateSymbolicLink(Path.Join(_root, "bin"), "usr/bin");          // Debian's merged /usr: relative
        File.CreateSymbolicLink(Path.Join(_root, "lib64"), "/usr/lib64");     // an absolute link: inside the image, not the host's
        File.CreateSymbolicLink(Path.Join(_root, "hostetc"), "/etc");         // the image's /etc, not the host's
        File.WriteAllText(Path.Join(_root, "usr/bin/nc.openbsd"), "nc");
        File.WriteAllText(Path.Join(_root, "usr/lib64/ld-linux-x86-64.so.2"), "ld.so");
        File.WriteAllText(Path.Join(_root, "usr/bin/other"), "another package's");
        File.CreateSymbolicLink(Path.Join(_root, "etc/alternatives/nc"), "/bin/nc.openbsd");
        File.CreateSymbolicLink(Path.Join(_root, "usr/bin/nc"), "/etc/alternatives/nc");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private PackageFileIndex Index() => PackageFileIndex.Build(_root,
    [
        new InstalledPackage("netcat-openbsd", "amd64", ["/bin", "/bin/nc.openbsd", "/bin/nc", "/usr/share/doc/netcat-openbsd/copyright"]),
        new InstalledPackage("libc6", "amd64", ["/lib64", "/lib64/ld-linux-x86-64.so.2", "/hostetc/passwd"]),
    ]);

    [Fact]
    public void KeepsFiles_AtTheirPathWithDirectoriesResolvedInsideTheRoot_NotDirectoriesOrSymlinks()
    {
        PackageFileIndex index = Index();

        Assert.Equal(["/usr/bin/nc.openbsd:netcat-openbsd", "/usr/lib64/ld-linux-x86-64.so.2:libc6"],
            index.Files.Select(f => $"{f.Path}:{f.Package}").Order(StringComparer.Ordinal));
        // The documentation was removed from the image; /hostetc/passwd is the image's /etc/passwd, which it has not.
        Assert.Equal(2, index.Missing);
        Assert.True(File.Exists("/etc/passwd"), "the host has an /etc/passwd, which must not be taken for the image's");
    }

    [Fact]
    public void FindsAFile_ByItsCanonicalPath_AndAnyHardLinkToIt()
    {
        PackageFileIndex index = Index();
        HardLink.Create(Path.Join(_root, "tmp/renamed"), Path.Join(_root, "usr/bin/nc.openbsd"));
        Assert.Equal(0, FileSignature.TryRead(Path.Join(_root, "tmp/renamed"), out FileSignature link));
        Assert.Equal(0, FileSignature.TryRead(Path.Join(_root, "usr/bin/other"), out FileSignature other));

        Assert.Equal("netcat-openbsd", index.ByPath("/usr/bin/nc.openbsd")?.Package);
        Assert.Null(index.ByPath("/bin/nc.openbsd"));   // not canonical: the exec check resolves symlinks first
        Assert.Equal("/usr/bin/nc.openbsd", index.ByIdentity(link)?.Path);
        Assert.Null(index.ByIdentity(other));
    }
}
