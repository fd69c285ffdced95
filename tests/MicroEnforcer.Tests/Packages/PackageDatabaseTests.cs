using MicroEnforcer.Packages;
using Xunit;

namespace MicroEnforcer.Tests.Packages;

/// <summary>
/// dpkg's and apk's databases read from fixture images (testassets/packages/debian, .../alpine),
/// which hold only the database files.
/// </summary>
public class PackageDatabaseTests
{
    private static readonly string Debian = Path.Combine(AppContext.BaseDirectory, "testassets", "packages", "debian");
    private static readonly string Alpine = Path.Combine(AppContext.BaseDirectory, "testassets", "packages", "alpine");

    [Fact]
    public void Dpkg_KeepsThePackagesWhoseFilesAreOnDisk_OnHoldToo_NotRemovedOnes()
    {
        IReadOnlyList<InstalledPackage> packages = Assert.IsType<IReadOnlyList<InstalledPackage>>(DpkgDatabase.Read(Debian), exactMatch: false);

        // netcat-openbsd (config-files: its list file is still there) and wget (not-installed) are not;
        // a continuation line of a Description that looks like a field is not a package.
        Assert.Equal(["ncurses-bin:amd64", "libc6:amd64", "libc6:i386", "nmap:amd64", "curl:amd64", "tzdata:all"],
            packages.Select(p => $"{p.Name}:{p.Architecture}"));
    }

    [Fact]
    public void Dpkg_ReadsEachPackagesListFile_MultiArchOnesByNameAndArchitecture()
    {
        var packages = DpkgDatabase.Read(Debian)!.ToDictionary(p => $"{p.Name}:{p.Architecture}");

        Assert.Equal(["/usr", "/usr/bin", "/usr/bin/clear", "/usr/bin/tput", "/usr/share", "/usr/share/doc", "/usr/share/doc/ncurses-bin",
            "/usr/share/doc/ncurses-bin/copyright", "/usr/bin/reset"], packages["ncurses-bin:amd64"].Paths);
        Assert.Equal(["/lib64", "/lib64/ld-linux-x86-64.so.2", "/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu/libc.so.6"], packages["libc6:amd64"].Paths);
        Assert.Equal(["/usr/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu/libc.so.6"], packages["libc6:i386"].Paths);
        Assert.Equal(["/usr/share/zoneinfo/UTC"], packages["tzdata:all"].Paths);
        Assert.All(packages.Values.Where(p => p.Name != "curl"), p => Assert.Null(p.PathsUnknown));
    }

    [Fact]
    public void Dpkg_APackageWithoutItsListFile_IsInstalled_WithItsPathsUnknown()
    {
        InstalledPackage curl = Assert.Single(DpkgDatabase.Read(Debian)!, p => p.Name == "curl");

        Assert.Empty(curl.Paths);
        Assert.Equal("its file list /var/lib/dpkg/info/curl.list is missing", curl.PathsUnknown);
    }

    [Fact]
    public void Apk_TakesEachFileInTheDirectoryBeforeIt()
    {
        var packages = ApkDatabase.Read(Alpine)!.ToDictionary(p => p.Name);

        Assert.Equal(["musl", "alpine-baselayout-data", "netcat-openbsd", "curl"], packages.Keys);
        Assert.Equal(["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"], packages["musl"].Paths);
        // R: before any F: is in the root; an F: without R: (etc/apk) adds no file.
        Assert.Equal(["/.profile-in-root", "/etc/hosts"], packages["alpine-baselayout-data"].Paths);
        Assert.Equal(["/usr/bin/nc"], packages["netcat-openbsd"].Paths);
        // The last stanza has no newline after it, and a directory written with a trailing '/'.
        Assert.Equal(["/usr/bin/curl"], packages["curl"].Paths);
        Assert.All(packages.Values, p => Assert.Null(p.Architecture));
    }

    [Fact]
    public void AnImageWithoutADatabase_HasNone_AndNoPackages()
    {
        string empty = Directory.CreateTempSubdirectory("pkgdb-").FullName;
        try
        {
            Assert.Null(DpkgDatabase.Read(empty));
            Assert.Null(ApkDatabase.Read(empty));
            ImagePackages image = ImagePackages.Read(empty);
            Assert.Empty(image.Packages);
            Assert.Empty(image.Databases);
            Assert.Null(image.UnreadRpmDatabase);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void BothDatabases_AreRead_AndNamedForMessages()
    {
        ImagePackages debian = ImagePackages.Read(Debian), alpine = ImagePackages.Read(Alpine);

        Assert.Equal(["/var/lib/dpkg/status"], debian.Databases);
        Assert.Equal(["/lib/apk/db/installed"], alpine.Databases);
        Assert.Equal(2, debian.Named("libc6").Count());
        Assert.Empty(debian.Named("netcat-openbsd"));
        Assert.Single(alpine.Named("netcat-openbsd"));
    }

    [Theory]
    [InlineData("var/lib/rpm/rpmdb.sqlite")]
    [InlineData("var/lib/rpm/Packages")]
    [InlineData("usr/lib/sysimage/rpm/rpmdb.sqlite")]
    public void AnRpmDatabase_IsFound_NotRead(string file)
    {
        string root = Directory.CreateTempSubdirectory("pkgdb-").FullName;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Join(root, file))!);
            File.WriteAllText(Path.Join(root, file), "SQLite format 3\0");

            ImagePackages image = ImagePackages.Read(root);

            Assert.Equal("/" + file, image.UnreadRpmDatabase);
            Assert.Empty(image.Packages);
            File.WriteAllText(Path.Join(root, file), "");   // an empty file is no database
            Assert.Null(ImagePackages.Read(root).UnreadRpmDatabase);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("curl", null)]
    [InlineData("netcat-openbsd", null)]
    [InlineData("libstdc++6", null)]
    [InlineData("py3-foo_bar", null)]
    [InlineData("g++-12", null)]
    [InlineData("c", "at least two characters")]
    [InlineData("Curl", "starts with a lowercase letter or a digit")]
    [InlineData("-curl", "starts with a lowercase letter or a digit")]
    [InlineData("libc6:i386", "no architecture qualifier")]
    [InlineData("curl*", "'*' is not allowed")]
    [InlineData("open ssh", "' ' is not allowed")]
    public void PackageNames_FollowDebianPolicy_PlusApksUnderscore(string name, string? error)
    {
        string? reason = PackageName.Check(name);

        if (error is null)
            Assert.Null(reason);
        else
            Assert.Contains(error, reason, StringComparison.Ordinal);
    }
}
