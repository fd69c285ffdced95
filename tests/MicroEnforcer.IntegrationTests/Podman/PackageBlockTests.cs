using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// spec.packageBlock in real images: the Debian nginx base (its dpkg database lists ncurses-bin,
/// whose /usr/bin/clear and /usr/bin/tput are harmless to run) and the musl-only image with a
/// hand-written apk database mounted at /lib/apk/db/installed. This worktree's binary is mounted
/// into the container and run as its entrypoint, so the test does not depend on who built the
/// shared image tags last.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class PackageBlockTests : IDisposable
{
    private const string Enforcer = "/microenforcer-under-test";
    private const string PolicyDir = "/microenforcer-policy";

    // Each probe prints NAME=STATUS: run natively, every one is 0. hostname is another package's.
    // The reads reach /usr/bin/tput by its path, through merged /usr's /bin link, through '..',
    // through /proc/self/root and relative to a working directory.
    private const string Probes = """
        clear -T xterm >/dev/null; echo "clear=$?"
        tput -T xterm cols >/dev/null; echo "tput=$?"
        hostname >/dev/null; echo "hostname=$?"
        ln /usr/bin/clear /tmp/c && /tmp/c -T xterm >/dev/null; echo "link=$?"
        cat /usr/bin/tput >/dev/null; echo "read=$?"
        cat /bin/tput >/dev/null; echo "read-merged-usr=$?"
        cat /usr/share/../bin/tput >/dev/null; echo "read-dotdot=$?"
        cat /proc/self/root/usr/bin/tput >/dev/null; echo "read-proc-root=$?"
        (cd /usr/bin && cat ./tput >/dev/null); echo "read-relative=$?"
        cat /usr/bin/hostname >/dev/null; echo "read-other=$?"
        echo >> /usr/bin/tput; echo "write=$?"
        ln /usr/bin/tput /usr/bin/tput2 && cat /usr/bin/tput2 >/dev/null; echo "read-new-link=$?"
        mv /usr/bin/tput /usr/bin/tput3 && cat /usr/bin/tput3 >/dev/null; echo "read-renamed=$?"
        /usr/bin/tput3 -T xterm cols >/dev/null; echo "run-renamed=$?"
        echo probes-done; exec sleep 600
        """;

    private static readonly string[] Reads = ["read", "read-merged-usr", "read-dotdot", "read-proc-root", "read-relative", "write"];

    // A new name for the file, by a hard link beside it or a rename, made after start.
    private static readonly string[] Renames = ["read-new-link", "read-renamed", "run-renamed"];

    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-pkgblock-").FullName;

    public PackageBlockTests(PodmanImages images) => _ = images; // the fixture builds the images

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] EnforcerOptions(string mode, string packages, string fallback = "refuse")
    {
        // Drift prevention is off: it would refuse the hard link in /tmp too, and name itself.
        File.WriteAllText(Path.Combine(_dir, "policy.yaml"), $$"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            metadata: { name: packages }
            spec:
              driftPrevention: { enabled: false }
              packageBlock:
                enabled: true
                mode: {{mode}}
                fallback: {{fallback}}
                packages: {{packages}}
            """);
        return ["--cap-add", "SYS_PTRACE", "-v", $"{Prerequisites.EnforcerBinary}:{Enforcer}:ro", "-v", $"{_dir}:{PolicyDir}:ro",
            "--entrypoint", $"[\"{Enforcer}\", \"run\", \"--policy\", \"{PolicyDir}/policy.yaml\", \"--\"]"];
    }

    private static ContainerLogs RunProbes(PodmanContainer container) =>
        container.WaitForLogs(l => l.Stdout.Contains("probes-done", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

    private static void AssertProbe(ContainerLogs logs, string probe, int status) =>
        Assert.True(logs.Stdout.Contains($"{probe}={status}\n", StringComparison.Ordinal), $"expected {probe}={status}\n{logs}");

    [Fact]
    public void WithoutTheEnforcer_EveryProbeRuns()
    {
        using var container = PodmanContainer.Start(PodmanImages.DebianNginx, [], ["sh", "-c", Probes]);

        var logs = RunProbes(container);

        foreach (string probe in (string[])["clear", "tput", "hostname", "link", "read-other", .. Reads, .. Renames])
            AssertProbe(logs, probe, 0);
    }

    [Fact]
    public void Enforce_RefusesThePackagesExecutables_WithAnEventNamingThePackage_AndLeavesOtherPackagesAlone()
    {
        using var container = PodmanContainer.Start(PodmanImages.DebianNginx, EnforcerOptions("enforce", "[ncurses-bin, nmap]"), ["sh", "-c", Probes]);

        var logs = RunProbes(container);

        AssertProbe(logs, "clear", 126);   // the shell's "Permission denied"
        AssertProbe(logs, "tput", 126);
        AssertProbe(logs, "hostname", 0);
        Assert.DoesNotContain("link=0\n", logs.Stdout, StringComparison.Ordinal);
        // Landlock, in the kernel: the package's file cannot be read or written by any path; another package's can.
        foreach (string probe in Reads)
            AssertProbe(logs, probe, probe == "write" ? 2 : 1);
        AssertProbe(logs, "read-other", 0);
        Assert.DoesNotContain("read-new-link=0\n", logs.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("read-renamed=0\n", logs.Stdout, StringComparison.Ordinal);
        AssertProbe(logs, "run-renamed", 126);
        Assert.Equal("/usr/bin/tput3 (the same file as /usr/bin/tput) belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)",
            Assert.Single(logs.EventsFor("packageBlock", "/usr/bin/tput3")).GetProperty("reason").GetString());
        // dash tries each directory of PATH: /usr/bin/clear, then /bin/clear (the same file, by merged /usr).
        var clear = logs.EventsFor("packageBlock", "/usr/bin/clear").ToList();
        Assert.Equal(["/usr/bin/clear", "/bin/clear"], clear.Select(e => e.GetProperty("requestedPath").GetString()));
        Assert.All(clear, e =>
        {
            Assert.Equal("blocked", e.GetProperty("action").GetString());
            Assert.Equal("enforce", e.GetProperty("mode").GetString());
            Assert.Equal("execve", e.GetProperty("syscall").GetString());
            Assert.Equal("/usr/bin/clear belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)", e.GetProperty("reason").GetString());
        });
        Assert.NotEmpty(logs.EventsFor("packageBlock", "/usr/bin/tput"));
        Assert.Empty(logs.EventsFor("packageBlock", "/usr/bin/hostname"));
        // nmap is not in the image: said at start, and the workload starts anyway.
        Assert.Contains("packageBlock: 'nmap' is not installed in the image (/var/lib/dpkg/status): nothing of it to block; a package installed later is drift",
            logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("packageBlock: 1 of 2 listed package(s) installed (/var/lib/dpkg/status)", logs.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_ReportsThePackagesExecutables_UnderAnyHardLink_AndLetsThemRun()
    {
        using var container = PodmanContainer.Start(PodmanImages.DebianNginx, EnforcerOptions("audit", "[ncurses-bin]"), ["sh", "-c", Probes]);

        var logs = RunProbes(container);
        logs = container.WaitForLogs(l => l.EventsFor("packageBlock", "/tmp/c").Any());

        foreach (string probe in (string[])["clear", "tput", "hostname", "link", "read-other", .. Reads, .. Renames])
            AssertProbe(logs, probe, 0);
        JsonElement clear = Assert.Single(logs.EventsFor("packageBlock", "/usr/bin/clear"));
        Assert.Equal("detected", clear.GetProperty("action").GetString());
        Assert.Equal("audit", clear.GetProperty("mode").GetString());
        JsonElement link = Assert.Single(logs.EventsFor("packageBlock", "/tmp/c"));
        Assert.Equal("detected", link.GetProperty("action").GetString());
        Assert.Equal("/tmp/c (the same file as /usr/bin/clear) belongs to the blocked package 'ncurses-bin' (spec.packageBlock.packages)",
            link.GetProperty("reason").GetString());
        Assert.Empty(logs.EventsFor("packageBlock", "/usr/bin/hostname"));
    }

    [Fact]
    public void ExecSessions_AreHeldToTheSameRestrictions_RuntimeSessionsAndTheWrapper()
    {
        using var container = PodmanContainer.Start(PodmanImages.DebianNginx, EnforcerOptions("enforce", "[ncurses-bin]"),
            ["sh", "-c", "echo started; exec sleep 600"]);
        container.WaitForLogs(l => l.Stdout.Contains("started", StringComparison.Ordinal));

        var read = container.Exec("cat", "/usr/bin/tput");
        var wrapperRead = container.Exec(Enforcer, "exec", "--", "cat", "/usr/bin/tput");
        var run = container.Exec("tput", "-T", "xterm", "cols");
        var other = container.Exec("cat", "/usr/bin/hostname");
        var logs = container.WaitForLogs(l => l.EventsFor("packageBlock", "/usr/bin/tput").Any());
        string seen = $"--- read: {read.ExitCode} {read.Stderr}\n--- wrapper: {wrapperRead.ExitCode} {wrapperRead.Stderr}\n" +
            $"--- run: {run.ExitCode} {run.Stderr}\n--- other: {other.ExitCode} {other.Stderr}\n{logs}";

        Assert.True(read.ExitCode == 1 && read.Stderr.Contains("Permission denied", StringComparison.Ordinal), seen);
        Assert.True(wrapperRead.ExitCode == 1 && wrapperRead.Stderr.Contains("Permission denied", StringComparison.Ordinal), seen);
        Assert.True(run.ExitCode != 0, seen);
        Assert.NotEmpty(logs.EventsFor("packageBlock", "/usr/bin/tput"));
        Assert.True(other.ExitCode == 0, seen);
    }

    [Fact]
    public void ABadPolicy_IsRefusedWithItsLinesAndReasons_BeforeAnythingStarts()
    {
        string[] options = EnforcerOptions("enforce", "[curl, Curl, \"nc*\", libc6:i386]", fallback: "maybe");

        using var container = PodmanContainer.Start(PodmanImages.DebianNginx, options, ["sh", "-c", "echo workload-ran"]);
        int status = container.WaitForExit(TimeSpan.FromSeconds(60));
        var logs = container.Logs();

        Assert.True(status == 78, $"exit status {status}\n{logs}");
        Assert.DoesNotContain("workload-ran", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("policy.yaml:9:15: spec.packageBlock.fallback: invalid fallback 'maybe'", logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("policy.yaml:10:22: spec.packageBlock.packages[1]: invalid package name 'Curl': a package name starts with a lowercase letter or a digit",
            logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("policy.yaml:10:28: spec.packageBlock.packages[2]: invalid package name 'nc*': '*' is not allowed", logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("policy.yaml:10:35: spec.packageBlock.packages[3]: invalid package name 'libc6:i386': no architecture qualifier", logs.Stderr, StringComparison.Ordinal);
        Assert.Contains("policy refused (4 errors); nothing was started", logs.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MuslImage_WithAHandWrittenApkDatabase_ItsPackagesProgramIsRefused()
    {
        // apk's format: P: the package, F: a directory, R: a file in it.
        string database = Path.Combine(_dir, "installed");
        File.WriteAllText(database, "P:musl\nV:1.2.3-r0\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:musl-app\nV:1.0-r0\nF:usr/bin\nR:musl-app\n");
        string[] withDatabase = ["-v", $"{database}:/lib/apk/db/installed:ro"];

        using (var listed = PodmanContainer.Start(PodmanImages.Musl, [.. EnforcerOptions("enforce", "[musl-app]"), .. withDatabase], [MuslImage.App]))
        {
            listed.WaitForExit(TimeSpan.FromSeconds(60));
            var logs = listed.WaitForLogs(l => l.EventsFor("packageBlock", MuslImage.App).Any());

            Assert.DoesNotContain("musl-app: running from the image", logs.Stdout, StringComparison.Ordinal);
            JsonElement e = Assert.Single(logs.EventsFor("packageBlock", MuslImage.App));
            Assert.Equal("blocked", e.GetProperty("action").GetString());
            Assert.Equal("/usr/bin/musl-app belongs to the blocked package 'musl-app' (spec.packageBlock.packages)", e.GetProperty("reason").GetString());
            Assert.Contains("packageBlock: 1 of 1 listed package(s) installed (/lib/apk/db/installed): 1 of their files found", logs.Stderr, StringComparison.Ordinal);
        }

        // The control: the same image and database, the package not listed.
        using var unlisted = PodmanContainer.Start(PodmanImages.Musl, [.. EnforcerOptions("enforce", "[busybox]"), .. withDatabase], [MuslImage.App]);
        unlisted.WaitForExit(TimeSpan.FromSeconds(60));
        var control = unlisted.WaitForLogs(l => l.Stdout.Contains("musl-app: exec", StringComparison.Ordinal));
        Assert.Contains("musl-app: running from the image", control.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(control.AuditEvents, e => e.GetProperty("control").GetString() == "packageBlock");
        Assert.Contains("packageBlock: 'busybox' is not installed in the image (/lib/apk/db/installed)", control.Stderr, StringComparison.Ordinal);
    }
}
