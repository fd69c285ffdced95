using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// The baseline is recorded behind the workload. These tests give the image enough files that
/// the walk is still running when the workload's first commands do (the workload checks, and
/// says so: without it the tests would prove nothing), and show that what happens meanwhile is
/// decided as it would be afterwards: image files run at once on the start mark's word, and
/// anything else waits for the recorded baseline, which blocks it with its own reasons.
/// </summary>
public sealed class BaselineBehindWorkloadTests
{
    private const int BulkFiles = 30_000;

    // PID 1's "baseline" thread lives until the walk and the hashing are done; it may not have
    // been started yet when the workload's first command runs, so it is looked for a few times.
    private const string Walking =
        "for i in $(seq 100); do cat /proc/1/task/*/comm | grep -q '^baseline' && { echo WALKING; break; }; done";


    /// <summary>Executable files in the container's own layer, as an image layer would bring them.</summary>
    private static void AddBulk(string layer)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0x1ed };
        for (int d = 0; d < BulkFiles / 500; d++)
        {
            string dir = Path.Combine(layer, "bulk", $"d{d}");
            Directory.CreateDirectory(dir);
            for (int f = 0; f < 500; f++)
                new FileStream(Path.Combine(dir, $"f{f}"), options).Dispose();
        }
    }

    [Fact]
    public void WhileTheBaselineIsRecordedImageFilesRunAndEverythingElseWaitsForItsVerdict()
    {
        var r = Container.Run(["/bin/sh", "-c",
            $"{Walking}; /opt/tests/hello; " +
            "cp /opt/tests/hello /usr/local/bin/copy; /usr/local/bin/copy; echo \"copy=$?\"; " +
            "echo x >> /opt/tests/pwned; /opt/tests/pwned; echo \"modified=$?\"; " +
            "cp /opt/tests/hello /tmp/h; /tmp/h; echo \"tmpfs=$?\"; " +
            "/opt/tests/hello; echo done"], prepareLayer: AddBulk);

        Assert.True(r.Stdout.Contains("WALKING", StringComparison.Ordinal), $"the walk ended before the workload's first command: add files\n{r}");
        Assert.Contains("hello from the image", r.Stdout);
        Assert.Contains("copy=126", r.Stdout);
        Assert.Contains("modified=126", r.Stdout);
        Assert.Contains("tmpfs=126", r.Stdout);
        Assert.Contains("done", r.Stdout);
        Assert.DoesNotContain("PWNED", r.Stdout);
        var blocked = r.Events("drift", "blocked").ToList();
        Assert.Equal(["/usr/local/bin/copy", "/opt/tests/pwned", "/tmp/h"], blocked.Select(e => e.GetProperty("path").GetString()));
        // Decided by the recorded baseline, never on the start mark's "not provable yet".
        Assert.All(blocked, e => Assert.Contains(e.GetProperty("reason").GetString(), DriftReasons.MadeAtStart.Append("modified since the image baseline (size changed)")));
        Assert.Empty(r.Events("drift", "killed"));
        Assert.Contains("recorded in", r.Stderr);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void InAuditModeAHeldExecRunsOnceTheBaselineIsRecordedAndIsReportedOnce()
    {
        const string audit = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            metadata: { name: audit }
            spec:
              mode: audit
            """;
        var r = Container.Run(["/bin/sh", "-c",
            $"{Walking}; cp /opt/tests/hello /usr/local/bin/copy; /usr/local/bin/copy; echo \"copy=$?\""], audit, prepareLayer: AddBulk);

        Assert.True(r.Stdout.Contains("WALKING", StringComparison.Ordinal), $"the walk ended before the workload's first command: add files\n{r}");
        Assert.Contains("hello from the image", r.Stdout);
        Assert.Contains("copy=0", r.Stdout);
        var detected = Assert.Single(r.Events("drift", "detected"));
        Assert.Equal("/usr/local/bin/copy", detected.GetProperty("path").GetString());
        Assert.Contains(detected.GetProperty("reason").GetString(), DriftReasons.MadeAtStart);
    }
}
