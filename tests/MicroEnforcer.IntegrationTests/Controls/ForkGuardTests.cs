using System.Text.RegularExpressions;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>Fork Guard under real fork bombs: capped, PID 1 and the rest keep working, recovery.</summary>
public sealed partial class ForkGuardTests(ITestOutputHelper output)
{
    private const int Max = 40;

    private static readonly string Policy = $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          forkGuard: { maxProcesses: {{Max}} }
        """;

    // Counts the processes of the container (numeric /proc entries) with builtins only: no fork.
    private const string CountProcesses = "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done";

    [Fact]
    public void CForkLoopIsCappedAndForkingWorksAfterwards()
    {
        var r = Container.Run(["/bin/sh", "-c",
            "/opt/tests/fork_bomb 3 1000; /bin/echo fork-works-again; " + CountProcesses + "; echo \"after=$n\""], Policy);
        output.WriteLine(r.ToString());

        var m = ForkCounts().Match(r.Stdout);
        Assert.True(m.Success, r.ToString());
        int forked = int.Parse(m.Groups["forked"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(forked <= Max, $"forked {forked} > {Max}");
        Assert.True(long.Parse(m.Groups["eagain"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, "no fork was refused");
        Assert.Equal("0", m.Groups["other"].Value);
        Assert.Contains("fork-works-again", r.Stdout);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void ShellForkBombIsCappedWhilePid1AndTheWorkloadKeepWorking()
    {
        // The bomb runs in its own session (setsid) so that it can be killed as a group. While it
        // holds every slot the workload's shell cannot fork either, so it waits and counts with
        // builtins only (read -t on a FIFO nobody writes), and keeps working.
        const string script =
            "mkfifo /tmp/wait; exec 3<>/tmp/wait; " +
            "setsid sh -c 'echo $$ > /tmp/bomb.pgid; b() { b | b & }; b' & " +
            "read -t 3 x <&3; " + CountProcesses + "; echo \"during=$n\"; echo still-responsive; " +
            "read pg < /tmp/bomb.pgid; for i in 1 2 3 4 5; do kill -9 -$pg 2>/dev/null; read -t 1 x <&3; done; " +
            CountProcesses + "; echo \"after=$n\"; /bin/echo fork-works-again";
        var r = Container.Run(["/bin/sh", "-c", script], Policy, timeout: TimeSpan.FromMinutes(2));
        output.WriteLine(r.ToString());

        int during = int.Parse(Regex.Match(r.Stdout, @"during=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(during <= Max, $"{during} processes > {Max}");
        Assert.Contains("still-responsive", r.Stdout);
        Assert.Contains("fork-works-again", r.Stdout);

        // The bomb hit the cap (a bomb under a cap tends to collapse: its subshells exit when
        // they cannot fork, so the audit events, not a sample of the count, prove it ran), and
        // the count the enforcer saw never exceeded it. One aggregated event per second at most.
        var events = r.Events("forkGuard", "blocked").ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.True(
            int.Parse(Regex.Match(e.GetProperty("reason").GetString()!, @"(\d+) processes").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= Max));
        Assert.True(events.Count <= 8, $"{events.Count} events: not aggregated");
        Assert.All(events, e => Assert.True(e.GetProperty("count").GetInt32() >= 1));
        Assert.True(events.Sum(e => e.GetProperty("count").GetInt32()) > events.Count, "every event stands for a single denial");
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void ThreadsAreNotCounted()
    {
        // busybox has no thread tool: the C fork loop's children are processes; threads are checked
        // by the filter unit tests (CLONE_THREAD never reaches PID 1). Here: a workload well below
        // the limit is not affected at all.
        var r = Container.Run(["/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done; echo ok"], Policy);

        Assert.Contains("ok", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void WithoutTheEnforcerTheBombIsNotCapped()
    {
        var r = Container.RunRaw(["/bin/sh", "-c", "/opt/tests/fork_bomb 2 100"]);

        var m = ForkCounts().Match(r.Stdout);
        Assert.True(int.Parse(m.Groups["forked"].Value, System.Globalization.CultureInfo.InvariantCulture) > Max);
    }

    /// <summary>
    /// Legitimate churn is never refused: fork, exit and wait at full speed keeps a handful of
    /// processes alive, far under the default limit of 1024, however many forks a second that is.
    /// </summary>
    [Theory]
    [InlineData(20_000, 1)]
    [InlineData(2_500, 8)]   // a burst of 8 parallel loops: 20,000 cycles in all
    public void ForkExitWaitChurnIsNeverRefused(int cycles, int loops)
    {
        var r = Container.Run(["/opt/tests/fork_churn", cycles.ToString(System.Globalization.CultureInfo.InvariantCulture),
            loops.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromMinutes(3));
        output.WriteLine(r.ToString());

        var m = ChurnCounts().Match(r.Stdout);
        Assert.True(m.Success, r.ToString());
        Assert.Equal((cycles * loops).ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups["cycles"].Value);
        Assert.Equal("0", m.Groups["refused"].Value);
        Assert.Equal("0", m.Groups["other"].Value);
        Assert.Empty(r.Events("forkGuard", "blocked"));
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void WithoutTheEnforcerChurnIsNeverRefused()
    {
        var r = Container.RunRaw(["/opt/tests/fork_churn", "2500", "8"], timeout: TimeSpan.FromMinutes(3));

        Assert.Contains("cycles=20000 refused=0 other=0", r.Stdout);
    }

    [Fact]
    public void ChurnUnderATightLimitIsRefusedOnlyAtTheLimit()
    {
        // 8 loops keep at most 17 processes (loops, their children, the parent) plus PID 1 and
        // the shell: under a limit of 40 nothing is refused, whatever the fork rate.
        var r = Container.Run(["/opt/tests/fork_churn", "1000", "8"], Policy, timeout: TimeSpan.FromMinutes(3));
        output.WriteLine(r.ToString());

        var m = ChurnCounts().Match(r.Stdout);
        Assert.True(m.Success, r.ToString());
        Assert.Equal("8000", m.Groups["cycles"].Value);
        Assert.Equal("0", m.Groups["refused"].Value);
        Assert.Empty(r.Events("forkGuard", "blocked"));
    }

    [GeneratedRegex(@"cycles=(?<cycles>\d+) refused=(?<refused>\d+) other=(?<other>\d+)")]
    private static partial Regex ChurnCounts();

    [GeneratedRegex(@"forked=(?<forked>\d+) eagain=(?<eagain>\d+) other=(?<other>\d+)")]
    private static partial Regex ForkCounts();
}
