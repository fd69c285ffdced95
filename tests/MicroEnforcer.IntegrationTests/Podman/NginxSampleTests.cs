using System.Diagnostics;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// samples/dockerfile-wrap as its README runs it: nginx on Debian, the enforcer as PID 1,
/// default seccomp profile and capabilities plus SYS_PTRACE, port 80 published on loopback.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class NginxSampleTests
{
    private static readonly string[] s_options = ["--cap-add", "SYS_PTRACE"];

    public NginxSampleTests(PodmanImages images) => _ = images; // the fixture builds the images

    [Fact]
    public void NginxServesHttpOnAPublishedLoopbackPort()
    {
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, s_options, publishHttp: true);

        string page = container.Page();
        var logs = container.WaitForLogs(l => l.Stdout.Contains("\"GET / HTTP/1.1\" 200", StringComparison.Ordinal));
        var pid1 = container.Processes().Single(p => p.Pid == 1);

        Assert.Contains("nginx on Debian 12, under MicroEnforcer", page);
        Assert.True(pid1.Args.StartsWith("/.microenforcer/microenforcer run -- nginx", StringComparison.Ordinal), $"PID 1 is {pid1}\n{logs}");
        Assert.True(logs.Stderr.Contains("workload started", StringComparison.Ordinal), $"the launcher did not log the start\n{logs}");
        // nginx's access log goes to the container's stdout (the base image's nginx.conf).
        Assert.True(logs.Stdout.Contains("\"GET / HTTP/1.1\" 200", StringComparison.Ordinal), $"no access log line on stdout\n{logs}");
        Assert.Empty(logs.AuditEvents);
    }

    [Fact]
    public void PodmanStopEndsNginxGracefullyWithItsOwnExitStatus()
    {
        // What nginx itself gives `podman stop` when it is PID 1 of the unwrapped base image: it
        // handles SIGTERM (fast shutdown) and exits 0. Wrapped, the launcher forwards SIGTERM and
        // exits with nginx's status; a signal it failed to forward would end in SIGKILL (137)
        // after podman's 10 s.
        int native;
        using (var unwrapped = PodmanContainer.Start(PodmanImages.DebianNginx, publishHttp: true))
        {
            unwrapped.Page();
            native = unwrapped.Stop();
        }
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, s_options, publishHttp: true);
        container.Page();

        var stopwatch = Stopwatch.StartNew();
        int status = container.Stop();
        stopwatch.Stop();
        var logs = container.Logs();

        Assert.Equal(0, native);
        Assert.True(status == native, $"exit status {status}, unwrapped nginx gives {native}\n{logs}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8), $"podman stop took {stopwatch.Elapsed.TotalSeconds:F1} s: nginx was killed, not stopped\n{logs}");
        Assert.True(logs.Stderr.Contains("microenforcer: info: workload exited with status 0", StringComparison.Ordinal), $"the launcher did not log the workload's exit\n{logs}");
    }
}
