using System.Text.RegularExpressions;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// Shebang scripts (issue 12, item 3): the kernel reads a script's "#!" line and starts its
/// interpreter, which opens the script again by the name in its argv (/dev/fd/N or the path).
/// At the exec event /proc/PID/exe is the interpreter, an image binary; the verdicts must apply
/// to the script the interpreter reads. See script_race.c for the attacks.
/// </summary>
public sealed partial class ScriptExecTests(ITestOutputHelper output)
{
    private const string Plain = "/opt/tests/ok.sh";
    private const string WithArgument = "/opt/tests/ok_e.sh";   // #!/bin/sh -e: the script is argv[2]

    [Theory]
    [InlineData(Plain)]
    [InlineData(WithArgument)]
    public void DescriptorSwapRaceNeverRunsTheMemfdScript(string script)
    {
        var r = Container.Run(["/opt/tests/script_race", "fd", script, "1000"], timeout: TimeSpan.FromMinutes(4));
        output.WriteLine(r.Stdout);
        var counts = Parse(r.Stdout);

        Assert.Equal(1000, counts["attempts"]);
        Assert.Equal(0, counts["payload"]);
        // Killed: the entry check saw the image script, the interpreter would have read the memfd.
        Assert.True(counts["killed"] > 0, "the exec event never saw the memfd script: the race was not exercised\n" + r);
        Assert.Equal(counts["killed"], r.Events("fileless", "killed").Count());
        Assert.All(r.Events("fileless", "killed"), e => Assert.Contains("/dev/fd/5", e.GetProperty("reason").GetString()));
    }

    [Fact]
    public void RenameSwapRaceOfAPathScriptNeverRunsTheDriftedScript()
    {
        // The swapping thread dies at the exec (de_thread), as the dup2 thread above does.
        var r = Container.Run(["/opt/tests/script_race", "path", Plain, "1000"], timeout: TimeSpan.FromMinutes(4));
        output.WriteLine(r.Stdout);
        var counts = Parse(r.Stdout);

        Assert.Equal(1000, counts["attempts"]);
        Assert.Equal(0, counts["payload"]);
        Assert.True(counts["refused"] > 0, "the entry check never saw the drifted script\n" + r);
        Assert.True(counts["killed"] > 0, "the exec event never saw the drifted script: the race was not exercised\n" + r);
        Assert.Equal(counts["killed"], r.Events("drift", "killed").Count());
    }

    [Fact]
    public void RenameByAnotherProcessIsKilledWhenTheDriftedScriptIsInPlaceAtTheExecEvent()
    {
        // A path script is opened by its interpreter by name after the exec event's check; a
        // swapper in another process outlives the exec and can rename between the two (docs/limits.md,
        // a known gap: the payload ran 36 and 94 times in 1000 here). What is asserted is
        // what holds: every exec whose drifted script is in place at the exec event is killed.
        var r = Container.Run(["/opt/tests/script_race", "pathproc", Plain, "1000"], timeout: TimeSpan.FromMinutes(4));
        output.WriteLine(r.Stdout);
        var counts = Parse(r.Stdout);

        Assert.Equal(1000, counts["attempts"]);
        Assert.True(counts["killed"] > 0, r.ToString());
        Assert.Equal(counts["killed"], r.Events("drift", "killed").Count());
        output.WriteLine($"payload ran {counts["payload"]} times in 1000 (the known gap)");
    }

    [Theory]
    [InlineData("fd", Plain)]
    [InlineData("fd", WithArgument)]
    [InlineData("path", Plain)]
    [InlineData("pathproc", Plain)]
    public void WithoutTheEnforcerTheSameAttacksRunThePayload(string mode, string script)
    {
        var r = Container.RunRaw(["/opt/tests/script_race", mode, script, "300"]);
        output.WriteLine(r.Stdout);

        Assert.True(Parse(r.Stdout)["payload"] > 0, r.ToString());
    }

    [Fact]
    public void AuditModeLetsTheMemfdScriptRunAndReportsIt()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: audit
            """;
        var r = Container.Run(["/opt/tests/script_race", "fd", Plain, "300"], policy, timeout: TimeSpan.FromMinutes(4));
        output.WriteLine(r.Stdout);
        var counts = Parse(r.Stdout);

        Assert.Equal(0, counts["killed"]);
        Assert.True(counts["payload"] > 0, r.ToString());
        Assert.True(r.Events("fileless", "detected").Count() >= counts["payload"], r.ToString());
        Assert.Empty(r.Events("fileless", "killed"));
    }

    [Fact]
    public void ImageScriptsStillRun()
    {
        const string Script = """
            /opt/tests/ok.sh a; echo "path=$?"
            /opt/tests/ok_e.sh b; echo "arg=$?"
            /opt/tests/ok_env.sh c; echo "env=$?"
            sh /opt/tests/ok.sh d; echo "sh=$?"
            cd /opt/tests && ./ok.sh e; echo "relative=$?"
            cd /opt && tests/ok_e.sh f; echo "relative-arg=$?"
            /opt/tests/execat fd /opt/tests/ok.sh; echo "fexecve=$?"
            /opt/tests/execat fd /opt/tests/ok_e.sh; echo "fexecve-arg=$?"
            /opt/tests/execat dirfd /opt/tests ok.sh; echo "dirfd=$?"
            """;
        var r = Container.Run(["/bin/sh", "-c", Script]);

        Assert.Contains("script-ok a", r.Stdout);
        Assert.Contains("script-e-ok b", r.Stdout);
        Assert.Contains("script-env-ok c", r.Stdout);
        Assert.Contains("script-ok d", r.Stdout);
        Assert.Contains("script-ok e", r.Stdout);
        Assert.Contains("script-e-ok f", r.Stdout);
        foreach (string name in new[] { "path", "arg", "env", "sh", "relative", "relative-arg", "fexecve", "fexecve-arg", "dirfd" })
            Assert.Contains($"{name}=0\n", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void DriftedScriptsStayBlockedAtEntry()
    {
        var r = Container.Run(["/bin/sh", "-c",
            "printf '#!/bin/sh -e\\necho DRIFTED-SCRIPT-RAN\\n' > /tmp/x.sh; chmod +x /tmp/x.sh; /tmp/x.sh; echo \"rc=$?\""]);

        Assert.DoesNotContain("DRIFTED-SCRIPT-RAN", r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        Assert.Single(r.Events("drift", "blocked"));
        Assert.Empty(r.Events("drift", "killed"));
    }

    private static Dictionary<string, int> Parse(string stdout)
    {
        var match = Counts().Match(stdout);
        Assert.True(match.Success, "script_race printed no summary:\n" + stdout);
        return match.Groups.Values.Skip(1).Where(g => g.Success).ToDictionary(g => g.Name, g => int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"attempts=(?<attempts>\d+) allowed=(?<allowed>\d+) refused=(?<refused>\d+) killed=(?<killed>\d+) payload=(?<payload>\d+) other=(?<other>\d+)")]
    private static partial Regex Counts();
}
