using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Tests.Packages;
using Microsoft.Extensions.Logging;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// Package Block made from a fixture image: the Debian database of testassets/packages/debian
/// copied under a temporary root, with ncurses-bin's and nmap's files on disk.
/// </summary>
public sealed class PackageBlockTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "testassets", "packages", "debian");
    private readonly string _root = Directory.CreateTempSubdirectory("pkgblock-").FullName;
    private readonly RecordingLogger _log = new();

    public PackageBlockTests()
    {
        foreach (string file in Directory.EnumerateFiles(Fixture, "*", SearchOption.AllDirectories))
        {
            string target = Path.Join(_root, Path.GetRelativePath(Fixture, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        Directory.CreateDirectory(Path.Join(_root, "usr/bin"));
        File.WriteAllText(Path.Join(_root, "usr/bin/clear"), "clear");
        File.WriteAllText(Path.Join(_root, "usr/bin/tput"), "tput");
        File.WriteAllText(Path.Join(_root, "usr/bin/tset"), "tset");
        File.CreateSymbolicLink(Path.Join(_root, "usr/bin/reset"), "tset");
        File.WriteAllText(Path.Join(_root, "usr/bin/nmap"), "nmap");
        File.WriteAllText(Path.Join(_root, "usr/bin/hostname"), "another package's");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private PackageBlock Load(EnforcementMode mode, FallbackMode fallback, params string[] packages) =>
        PackageBlock.Load(new PackageBlockPolicy(true, mode, fallback, PolicyList.From(packages)), _root, _log);

    private ExecTarget Target(string path)
    {
        Assert.Equal(0, FileSignature.TryRead(Path.Join(_root, path), out FileSignature signature));
        return new ExecTarget(1, path, signature, path, Path.GetFileName(path));
    }

    [Fact]
    public void Enforce_RestrictsEveryFileOfTheListedPackages_NotTheirDirectoriesOrSymlinks()
    {
        var plan = new LaunchPlan();

        Assert.Null(Load(EnforcementMode.Enforce, FallbackMode.Refuse, "ncurses-bin", "nmap").Prepare(plan));

        Assert.Equal(
            [
                new FileRestriction("/usr/bin/clear", FileRights.OnFile, "packageBlock", "ncurses-bin"),
                new FileRestriction("/usr/bin/nmap", FileRights.OnFile, "packageBlock", "nmap"),
                new FileRestriction("/usr/bin/tput", FileRights.OnFile, "packageBlock", "ncurses-bin"),
            ],
            plan.FileRestrictions.OrderBy(r => r.Path, StringComparer.Ordinal));
        Assert.Equal(FileRights.ReadFile | FileRights.WriteFile | FileRights.Truncate | FileRights.Execute, FileRights.OnFile);
    }

    [Fact]
    public void Audit_RestrictsNothing()
    {
        var plan = new LaunchPlan();

        Assert.Null(Load(EnforcementMode.Audit, FallbackMode.Refuse, "ncurses-bin").Prepare(plan));

        Assert.Empty(plan.FileRestrictions);
    }

    [Fact]
    public void AnExecOfAPackagesFile_IsAFinding_NamingThePackage_ByPathOrHardLink()
    {
        PackageBlock control = Load(EnforcementMode.Enforce, FallbackMode.Refuse, "ncurses-bin");
        Directory.CreateDirectory(Path.Join(_root, "tmp"));
        HardLink.Create(Path.Join(_root, "tmp/c"), Path.Join(_root, "usr/bin/clear"));

        Assert.Equal("/usr/bin/clear belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)",
            control.Evaluate(Target("/usr/bin/clear"))?.Reason);
        Assert.Equal("/tmp/c (the same file as /usr/bin/clear) belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)",
            control.Evaluate(Target("/tmp/c"))?.Reason);
        Assert.Equal("packageBlock", control.Evaluate(Target("/usr/bin/tput"))?.Control);
        Assert.Null(control.Evaluate(Target("/usr/bin/hostname")));
        // reset is ncurses-bin's link to tset, which the fixture's ncurses-bin does not list: the link is not the package's file.
        Assert.Null(control.Evaluate(Target("/usr/bin/tset")));
    }

    [Fact]
    public void AFileReplacedSinceStart_IsStillFoundByItsPath()
    {
        PackageBlock control = Load(EnforcementMode.Enforce, FallbackMode.Refuse, "ncurses-bin");
        File.Delete(Path.Join(_root, "usr/bin/clear"));
        File.WriteAllText(Path.Join(_root, "usr/bin/clear"), "a new inode");

        Assert.Equal("/usr/bin/clear belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)",
            control.Evaluate(Target("/usr/bin/clear"))?.Reason);
    }

    [Fact]
    public void APackageNotInstalled_IsAWarningAtStart_NotARefusal()
    {
        var plan = new LaunchPlan();

        PackageBlock control = Load(EnforcementMode.Enforce, FallbackMode.Refuse, "wget", "netcat-openbsd", "ncurses-bin");

        Assert.Null(control.Prepare(plan));
        Assert.Equal(EnforcementMode.Enforce, control.Mode);
        Assert.Equal(
            [
                "Warning 91 packageBlock: 'wget' is not installed in the image (/var/lib/dpkg/status): nothing of it to block; a package installed later is drift",
                "Warning 91 packageBlock: 'netcat-openbsd' is not installed in the image (/var/lib/dpkg/status): nothing of it to block; a package installed later is drift",
                "Information 90 packageBlock: 1 of 3 listed package(s) installed (/var/lib/dpkg/status): 2 of their files found, 4 of their listed paths absent from the image",
            ],
            _log.Lines);
    }

    [Fact]
    public void APackageWithoutItsFileList_IsAWarning()
    {
        Load(EnforcementMode.Enforce, FallbackMode.Refuse, "curl");

        Assert.Contains("Warning 92 packageBlock: 'curl' is installed but its files are unknown: its file list /var/lib/dpkg/info/curl.list is missing; none of them is blocked",
            _log.Lines);
    }

    [Fact]
    public void AnRpmImage_IsRefusedInEnforceMode_UnlessTheFallbackIsAudit()
    {
        Directory.CreateDirectory(Path.Join(_root, "var/lib/rpm"));
        File.WriteAllText(Path.Join(_root, "var/lib/rpm/rpmdb.sqlite"), "SQLite format 3\0");

        string? refusal = Load(EnforcementMode.Enforce, FallbackMode.Refuse, "ncurses-bin").Prepare(new LaunchPlan());
        Assert.DoesNotContain(_log.Lines, line => line.StartsWith("Warning 93", StringComparison.Ordinal));
        var plan = new LaunchPlan();
        PackageBlock fallback = Load(EnforcementMode.Enforce, FallbackMode.Audit, "ncurses-bin");

        Assert.Equal("packageBlock: the image has an rpm database (/var/lib/rpm/rpmdb.sqlite), which the enforcer cannot read (only through "
            + "rpm's native libraries), so the packages rpm installed cannot be found and blocked. Block their files with spec.fileBlock "
            + "instead, or set spec.packageBlock.fallback: audit to run without this control enforcing", refusal);
        Assert.Null(fallback.Prepare(plan));
        Assert.Empty(plan.FileRestrictions);
        Assert.Equal(EnforcementMode.Audit, fallback.Mode);
        Assert.Contains(_log.Lines, line => line.StartsWith("Warning 93 packageBlock: the image has an rpm database (/var/lib/rpm/rpmdb.sqlite)", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnreadableDatabase_IsARefusalInEnforceMode_AndAWarningInAuditMode()
    {
        string status = Path.Join(_root, "var/lib/dpkg/status");
        File.Delete(status);
        Directory.CreateDirectory(status);   // exists, and reading it fails

        string? refusal = Load(EnforcementMode.Enforce, FallbackMode.Audit, "ncurses-bin").Prepare(new LaunchPlan());
        PackageBlock audit = Load(EnforcementMode.Audit, FallbackMode.Refuse, "ncurses-bin");

        Assert.StartsWith("packageBlock: cannot read the image's package database: ", refusal, StringComparison.Ordinal);
        Assert.Null(audit.Prepare(new LaunchPlan()));
        Assert.Contains(_log.Lines, line => line.StartsWith("Warning 94 packageBlock: cannot read the image's package database: ", StringComparison.Ordinal));
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {eventId.Id} {formatter(state, exception)}");
    }
}
