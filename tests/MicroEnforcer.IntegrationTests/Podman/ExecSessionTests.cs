using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// The acceptance scenario of issue 4, in exec sessions: `podman exec` (like `kubectl exec`)
/// starts processes in the running container that do not descend from PID 1 (inside, a session
/// first appears as `runc init` with parent pid 0). Against a binary without exec-session
/// enforcement (42cd5ae) each of these fails because the drifted code runs.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class ExecSessionTests
{
    public ExecSessionTests(PodmanImages images) => _ = images; // the fixture builds the images

    private static PodmanContainer StartNginx()
    {
        var container = PodmanContainer.Start(PodmanImages.NginxSample, ["--cap-add", "SYS_PTRACE"], publishHttp: true);
        container.Page(); // started and serving: the baseline was taken before any exec session
        return container;
    }

    [Fact]
    public void CopiedBinaryInAnExecShellIsBlockedWhileTheOriginalRuns()
    {
        using var container = StartNginx();

        var r = container.Exec("sh", "-c", "cp /bin/ls /bin/list; list -d /proc; echo \"list=$?\"; ls -d /; echo \"ls=$?\"");
        var logs = container.WaitForLogs(l => l.EventsFor("drift", "/bin/list").Any(), TimeSpan.FromSeconds(5));
        string seen = $"--- podman exec: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}\n{logs}";

        Assert.True(r.Stdout.Contains("list=126", StringComparison.Ordinal), $"`list` was not refused\n{seen}");
        Assert.True(r.Stderr.Contains("list: Permission denied", StringComparison.Ordinal), $"no 'list: Permission denied'\n{seen}");
        Assert.False(r.Stdout.Contains("/proc", StringComparison.Ordinal), $"the copy of ls ran\n{seen}");
        Assert.True(r.Stdout.Contains("ls=0", StringComparison.Ordinal), $"the image's ls did not run\n{seen}");
        DriftScenario.AssertAuditedAsBlocked(logs, "/bin/list");
    }

    [Fact]
    public void PackageInstalledInTheRunningContainerIsBlocked()
    {
        // `apt install wget` without a package index in the image: the packages come from the
        // host's apt (`apt-get download`) and dpkg installs them in the container. libpsl5 is the
        // one dependency of wget that Debian's minbase lacks; with it, wget would run natively,
        // so the only thing that can stop it is the enforcer.
        string debs = Directory.CreateTempSubdirectory("microenforcer-debs-").FullName;
        try
        {
            var download = ProcessRunner.Run("/bin/sh", ["-c", $"cd '{debs}' && apt-get download -o APT::Sandbox::User=root wget libpsl5"], TimeSpan.FromMinutes(2));
            Assert.True(download.ExitCode == 0, $"apt-get download wget libpsl5 failed (is the package index there? apt-get update):\n{download.Stderr}{download.Stdout}");
            using var container = StartNginx();
            container.CopyIn(debs, "/tmp/debs");

            var install = container.Exec("sh", "-c", "dpkg -i /tmp/debs/*.deb");
            var r = container.Exec("sh", "-c", "wget --version; echo \"wget=$?\"");
            var logs = container.WaitForLogs(l => l.EventsFor("drift", "/usr/bin/wget").Any(), TimeSpan.FromSeconds(5));
            string seen = $"--- dpkg -i: exit {install.ExitCode}\n{install.Stdout}\n{install.Stderr}\n--- wget: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}\n{logs}";

            Assert.True(install.ExitCode == 0, $"dpkg -i failed\n{seen}");
            Assert.True(r.Stdout.Contains("wget=126", StringComparison.Ordinal), $"wget was not refused\n{seen}");
            Assert.True(r.Stderr.Contains("wget: Permission denied", StringComparison.Ordinal), $"no 'wget: Permission denied'\n{seen}");
            Assert.False(r.Stdout.Contains("GNU Wget", StringComparison.Ordinal), $"wget ran\n{seen}");
            DriftScenario.AssertAuditedAsBlocked(logs, "/usr/bin/wget");
        }
        finally
        {
            Directory.Delete(debs, recursive: true);
        }
    }

    [Fact]
    public void DriftedBinaryExecutedDirectlyDoesNotRun()
    {
        // `podman exec C /drifted`: the session's first program is the drifted file itself, with
        // no shell of the image before it. Its code must not run; whether it is refused at exec
        // (blocked) or stopped before its first instruction (killed) is the enforcer's choice.
        using var container = StartNginx();
        var copy = container.Exec("cp", "/bin/echo", "/drifted");

        var r = container.Exec("/drifted", DriftScenario.Marker);
        var logs = container.WaitForLogs(l => l.EventsFor("drift", "/drifted").Any(), TimeSpan.FromSeconds(5));
        string seen = $"--- cp: exit {copy.ExitCode}\n{copy.Stderr}\n--- /drifted: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}\n{logs}";

        Assert.True(copy.ExitCode == 0, $"cp failed\n{seen}");
        Assert.False(r.Stdout.Contains(DriftScenario.Marker, StringComparison.Ordinal), $"the drifted binary ran\n{seen}");
        Assert.True(r.ExitCode != 0, $"podman exec of the drifted binary exited 0\n{seen}");
        var events = logs.EventsFor("drift", "/drifted").ToList();
        Assert.True(events.Count > 0, $"no drift audit event for /drifted\n{seen}");
        Assert.All(events, e => Assert.Contains(e.GetProperty("action").GetString(), new[] { "blocked", "killed" }));
    }
}
