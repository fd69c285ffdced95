using System.Text.RegularExpressions;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// The race that sinks enforcers which decide at syscall entry only: another thread rewrites
/// the execve path between the notify handler's read and the kernel's. See exec_race.c.
/// </summary>
public sealed partial class ExecRaceTests(ITestOutputHelper output)
{
    // Both paths have the same length, so the flipper thread swaps them in place.
    private const string Script = "cp /opt/tests/pwned /tmp/pwnd && /opt/tests/exec_race /bin/true /tmp/pwnd 3000; " +
                                  "test -e /tmp/PWNED && echo PAYLOAD-RAN; true";

    [Fact]
    public void PathSwapRaceNeverRunsThePayload()
    {
        var r = Container.Run(["/bin/sh", "-c", Script], timeout: TimeSpan.FromMinutes(4));
        output.WriteLine(r.Stdout);
        var counts = Parse(r.Stdout);

        Assert.Equal(3000, counts["attempts"]);
        Assert.Equal(0, counts["payload"]);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        // "other" counts torn reads of the half-rewritten path (ENOENT): harmless, and expected.
        Assert.True(counts["refused"] > 0, "the entry check never saw the payload path: the race was not exercised");
        // Every kill is one race the entry check lost and the exec-event check won; each is audited.
        Assert.Equal(counts["killed"], r.Events("drift", "killed").Count());
    }

    [Fact]
    public void WithoutTheEnforcerTheSameAttackRunsThePayload()
    {
        // The control experiment: proves the attack program and its marker can detect a win.
        var r = Container.RunRaw(["/bin/sh", "-c", Script.Replace("3000", "200", StringComparison.Ordinal)]);
        output.WriteLine(r.Stdout);

        Assert.True(Parse(r.Stdout)["payload"] > 0);
        Assert.Contains("PAYLOAD-RAN", r.Stdout);
    }

    private static Dictionary<string, int> Parse(string stdout)
    {
        var match = Counts().Match(stdout);
        Assert.True(match.Success, "exec_race printed no summary:\n" + stdout);
        return match.Groups.Values.Skip(1).Where(g => g.Success).ToDictionary(g => g.Name, g => int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"attempts=(?<attempts>\d+) allowed=(?<allowed>\d+) refused=(?<refused>\d+) killed=(?<killed>\d+) payload=(?<payload>\d+) other=(?<other>\d+)")]
    private static partial Regex Counts();
}
