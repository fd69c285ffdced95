using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// Images without glibc: the enforcer is static, so it must work where there is no libc at all
/// (busybox-static) and where musl's loader is the only one. The drift scenario is run by the
/// workload itself in each.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class MinimalImageTests
{
    public MinimalImageTests(PodmanImages images) => _ = images; // the fixture builds the images

    [Fact]
    public void ImageWithNoLibcAtAll()
    {
        // Run as `x`, busybox would say "x: applet not found": that line means its code ran.
        string workload = "ls / >/dev/null && echo image-binaries-run; cp /bin/busybox /tmp/x; /tmp/x; " +
            $"echo \"{DriftScenario.ExitLine}$?\"; while :; do sleep 1; done";
        using var container = PodmanContainer.Start(PodmanImages.NoLibc, ["--cap-add", "SYS_PTRACE"], ["/bin/sh", "-c", workload]);

        var logs = DriftScenario.WaitForReport(container);
        int status = container.Stop();
        logs = container.Logs();

        Assert.True(logs.Stdout.Contains("image-binaries-run", StringComparison.Ordinal), $"busybox's own applets did not run\n{logs}");
        Assert.True(logs.Stdout.Contains($"{DriftScenario.ExitLine}126", StringComparison.Ordinal), $"/tmp/x was not refused\n{logs}");
        Assert.True(logs.Stderr.Contains("/tmp/x: Permission denied", StringComparison.Ordinal), $"no '/tmp/x: Permission denied'\n{logs}");
        Assert.False(logs.Stderr.Contains("applet not found", StringComparison.Ordinal), $"the drifted busybox ran\n{logs}");
        DriftScenario.AssertAuditedAsBlocked(logs, "/tmp/x");
        // The shell dies of the forwarded SIGTERM (a non-interactive shell does not catch it): 128 + 15.
        Assert.True(status == 143, $"exit status {status} after podman stop, expected 143\n{logs}");
    }

    [Fact]
    public void ImageWithOnlyMusl()
    {
        using var container = PodmanContainer.Start(PodmanImages.Musl, ["--cap-add", "SYS_PTRACE"]);

        int status = container.WaitForExit(TimeSpan.FromSeconds(60));
        var logs = container.WaitForLogs(l => l.AuditEvents.Count > 0);

        Assert.True(status == 0, $"musl-app exited {status}\n{logs}");
        Assert.True(logs.Stdout.Contains("musl-app: running from the image", StringComparison.Ordinal), $"the image's musl program did not run\n{logs}");
        Assert.True(logs.Stdout.Contains("musl-app: exec /drifted-musl-app: Permission denied", StringComparison.Ordinal), $"the drifted copy was not refused\n{logs}");
        Assert.False(logs.Stdout.Contains(DriftScenario.Marker, StringComparison.Ordinal), $"the drifted copy ran\n{logs}");
        DriftScenario.AssertAuditedAsBlocked(logs, "/drifted-musl-app");
    }
}
