using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Launcher;

/// <summary>
/// What a good init does (tini's test suite is the reference): exit statuses passed through,
/// 128+signal, signals forwarded, orphans reaped, a clean signal state for the workload.
/// </summary>
public sealed class InitBehaviourTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(42)]
    [InlineData(64)]
    [InlineData(78)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(200)]
    [InlineData(255)]
    public void ExitStatusIsTheWorkloads(int status)
    {
        var r = Container.Run(["/bin/sh", "-c", $"exit {status}"]);

        Assert.Equal(status, r.ExitCode);
    }

    [Fact]
    public void EveryExitStatusFrom0To255PassesThrough()
    {
        // One container, 256 supervised workloads would take minutes; instead the launcher
        // supervises a shell that checks its own children the same way: the theory above covers
        // the launcher's pass-through, this covers the whole range of waitpid statuses it decodes.
        var r = Container.Run(["/bin/sh", "-c", "for i in $(seq 0 255); do sh -c \"exit $i\"; [ $? -eq $i ] || echo \"bad $i\"; done; exit 255"]);

        Assert.Equal(255, r.ExitCode);
        Assert.DoesNotContain("bad", r.Stdout);
    }

    [Theory]
    [InlineData("TERM", 15)]
    [InlineData("KILL", 9)]
    [InlineData("SEGV", 11)]
    [InlineData("ABRT", 6)]
    public void WorkloadKilledBySignalGives128PlusSignal(string signal, int number)
    {
        var r = Container.Run(["/bin/sh", "-c", $"kill -{signal} $$; sleep 5"]);

        Assert.Equal(128 + number, r.ExitCode);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    [InlineData("HUP")]
    [InlineData("QUIT")]
    [InlineData("USR1")]
    [InlineData("USR2")]
    [InlineData("WINCH")]
    public void SignalToPid1IsForwardedToTheWorkload(string signal)
    {
        // Sent from inside the container to PID 1, as `docker stop` sends SIGTERM from outside.
        // Waits with a builtin (read -t on a FIFO nobody writes), not by forking sleep: a signal
        // that lands while a shell is entering a notified fork can fail it with EINTR (docs/limits.md).
        var r = Container.Run(["/bin/sh", "-c", $"mkfifo /tmp/w; exec 3<>/tmp/w; trap 'echo got-{signal}; exit 3' {signal}; kill -{signal} 1; read -t 3 x <&3; echo timeout"]);

        Assert.True(r.Stdout.Contains($"got-{signal}", StringComparison.Ordinal), r.ToString());
        Assert.DoesNotContain("timeout", r.Stdout);
        Assert.Equal(3, r.ExitCode);
    }

    [Fact]
    public void WithoutProcessGroupOptionOnlyTheMainProcessGetsTheSignal()
    {
        var r = Container.Run(["/bin/sh", "-c", ProcessGroupScript]);

        Assert.Contains("inner-timeout", r.Stdout);
        Assert.DoesNotContain("inner-got", r.Stdout);
    }

    [Fact]
    public void WithProcessGroupOptionTheWholeGroupGetsTheSignal()
    {
        var r = Container.Run(["/bin/sh", "-c", ProcessGroupScript], extraRunOptions: ["--process-group"]);

        Assert.Contains("inner-got", r.Stdout);
        Assert.DoesNotContain("inner-timeout", r.Stdout);
    }

    // The inner shell is in the workload's process group (no job control in sh -c) but is not
    // the main process. It asks PID 1 to forward USR1.
    private const string ProcessGroupScript =
        "mkfifo /tmp/w; exec 3<>/tmp/w; trap 'echo outer-got' USR1; " +
        "sh -c 'trap \"echo inner-got; exit 0\" USR1; kill -USR1 1; read -t 2 x <&3; echo inner-timeout'; " +
        "echo done";

    [Fact]
    public void HundredOrphansAreReaped()
    {
        // Each subshell exits at once, leaving its sleeper to be reparented to PID 1.
        var r = Container.Run(["/bin/sh", "-c",
            "i=0; while [ $i -lt 100 ]; do (sleep 0.2 &); i=$((i+1)); done; sleep 2; " +
            "z=0; for s in /proc/[0-9]*/stat; do case \"$(cat $s 2>/dev/null)\" in *\") Z \"*) z=$((z+1));; esac; done; " +
            "n=$(ls -d /proc/[0-9]* | wc -l); echo \"zombies=$z processes=$n\""]);

        Assert.Contains("zombies=0", r.Stdout);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void WorkloadStartsWithEmptySignalMaskAndNothingIgnored()
    {
        // The launcher blocks its supervised signals in every thread; the workload must not
        // inherit that, nor any ignored disposition.
        var r = Container.Run(["/bin/cat", "/proc/self/status"]);

        Assert.Equal("0000000000000000", StatusField(r.Stdout, "SigBlk"));
        Assert.Equal("0000000000000000", StatusField(r.Stdout, "SigIgn"));
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void WorkloadIsTheChildOfPid1InItsOwnProcessGroup()
    {
        var r = Container.Run(["/bin/sh", "-c", "echo \"pid=$$ ppid=$PPID pgid=$(cut -d' ' -f5 /proc/$$/stat)\""]);

        var line = r.Stdout.Trim();
        string pid = line.Split(' ')[0]["pid=".Length..];
        Assert.Contains("ppid=1 ", line);
        Assert.EndsWith($"pgid={pid}", line);
    }

    [Fact]
    public void WorkloadHasNoPtraceCapabilityInItsBoundingSet()
    {
        var r = Container.Run(["/bin/cat", "/proc/self/status"]);

        string capBnd = StatusField(r.Stdout, "CapBnd");
        ulong mask = ulong.Parse(capBnd, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0UL, mask & (1UL << 19));   // CAP_SYS_PTRACE
        Assert.NotEqual(0UL, mask & (1UL << 21));   // CAP_SYS_ADMIN is still there: only ptrace is dropped
    }

    [Fact]
    public void NotPid1BecomesSubreaperAndStillWorks()
    {
        // PID 1 is a shell here; the launcher is its child and must reap its own orphans.
        var r = Container.RunRaw(["/bin/sh", "-c",
            "/.microenforcer/microenforcer run -- /bin/sh -c '(sleep 0.2 &); sleep 1; " +
            "cp /bin/ls /tmp/l; /tmp/l; echo rc=$?'; echo \"launcher=$?\""]);

        Assert.Contains("registered as child subreaper", r.Stderr);
        Assert.Contains("rc=126", r.Stdout);
        Assert.Contains("launcher=0", r.Stdout);
    }

    private static string StatusField(string status, string field) =>
        status.Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim();
}
