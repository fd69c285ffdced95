using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Sessions;

/// <summary>
/// spec.blockContainerExec against real sessions: processes that enter the running container from
/// outside. <c>enter_like_runc</c> (run from the host) enters the way runc exec does and waits,
/// without exec'ing, until it is traced, so the session is seized before its first exec as runc
/// init is; nsenter's child execs at once, and with the shell waiting until it is traced the
/// session is seized after its exec. Every command would create a marker file: the proof that it
/// did not run is that the file is not there. Each refusal has a control run with the control off
/// (or in audit mode), where the same session runs.
/// </summary>
public sealed class BlockContainerExecTests
{
    private static readonly string[] Workload = ["/bin/sleep", "3600"];
    private const string Enforcer = "/.microenforcer/microenforcer";

    // Seized after its exec, the shell is traced from then on; seized in the instant before it
    // (nsenter's child execs at once), it is given the filter at its exec event and released.
    private const string UntilTraced = "while ! grep -qE 'TracerPid:[[:space:]]*[1-9]|NoNewPrivs:[[:space:]]*1' /proc/$$/status; do :; done; ";

    private static string Policy(string mode, bool enabled = true, string allowed = "") => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        metadata: { name: no-exec }
        spec:
          blockContainerExec:
            enabled: {{(enabled ? "true" : "false")}}
            mode: {{mode}}
            allowedCommands: [{{allowed}}]
        """;

    private static RunningContainer Start(string policy)
    {
        Prerequisites.Require();
        return RunningContainer.Start(Workload, policy: policy);
    }

    private static ProcessRunner.Result EnterLikeRunc(RunningContainer container, params string[] command) =>
        ProcessRunner.Run(Path.Combine(ImageRootfs.Shared.Path, "opt/tests/enter_like_runc"), [container.Pid1.ToString(), .. command],
            TimeSpan.FromSeconds(60));

    private static bool Exists(RunningContainer container, string path) => File.Exists($"/proc/{container.Pid1}/root{path}");

    private static JsonElement SingleEvent(RunResult run, string action)
    {
        var events = run.Events("blockContainerExec", action).ToList();
        Assert.True(events.Count == 1, $"{events.Count} '{action}' events\n{run}");
        return events[0];
    }

    [Fact]
    public void SessionSeizedBeforeItsFirstExec_IsKilledAtTheExecEvent_ItsCommandNeverRuns()
    {
        using RunningContainer container = Start(Policy("enforce"));
        var session = EnterLikeRunc(container, "/bin/touch", "/tmp/session-ran");
        bool ran = Exists(container, "/tmp/session-ran");
        RunResult run = container.Stop();

        Assert.False(ran, $"the session's command ran\n{session.Stderr}\n{run}");
        Assert.Equal(137, session.ExitCode);
        JsonElement killed = SingleEvent(run, "killed");
        Assert.Equal("/bin/busybox", killed.GetProperty("path").GetString());   // touch is a busybox applet here
        Assert.Equal("/bin/touch /tmp/session-ran", killed.GetProperty("cmdline").GetString());
        Assert.Equal(0, killed.GetProperty("uid").GetInt32());
        Assert.True(killed.GetProperty("syscall").GetString() == "execve", $"not killed at the exec event\n{run}");
        Assert.Contains("execs /bin/busybox: exec sessions are blocked (spec.blockContainerExec)", killed.GetProperty("reason").GetString());
    }

    [Fact]
    public void Control_WithTheControlOff_TheSameSessionRuns()
    {
        using RunningContainer container = Start(Policy("enforce", enabled: false));
        var session = EnterLikeRunc(container, "/bin/touch", "/tmp/session-ran");
        bool ran = Exists(container, "/tmp/session-ran");
        RunResult run = container.Stop();

        Assert.True(ran, $"{session.Stderr}\n{run}");
        Assert.Equal(0, session.ExitCode);
        Assert.Empty(run.Events("blockContainerExec", "killed"));
    }

    [Fact]
    public void SessionSeizedAfterItsExec_IsKilledAtTheSeize_BeforeItGoesOn()
    {
        using RunningContainer container = Start(Policy("enforce"));
        var session = container.Enter("/bin/sh", "-c", UntilTraced + "touch /tmp/session-ran");
        bool ran = Exists(container, "/tmp/session-ran");
        RunResult run = container.Stop();

        Assert.False(ran, $"the session went on after its seize\n{session.Stderr}\n{run}");
        Assert.Equal(137, session.ExitCode);
        // Seized after its exec nearly always (nsenter's child execs within microseconds of its
        // fork); seized in that instant, it is killed at the exec event instead. A grep the shell
        // was running (or forking) when the watcher looked is killed too, as a process of the session.
        JsonElement killed = Assert.Single(run.Events("blockContainerExec", "killed"), e => e.GetProperty("ppid").GetInt32() == 0);
        Assert.StartsWith("/bin/sh -c", killed.GetProperty("cmdline").GetString());
        Assert.Matches("had exec'd /bin/busybox|execs /bin/busybox", killed.GetProperty("reason").GetString());
        Assert.Equal(killed.GetProperty("reason").GetString()!.Contains("had exec'd", StringComparison.Ordinal) ? "none" : "execve",
            killed.GetProperty("syscall").GetString());
    }

    [Fact]
    public void ExecWrapper_IsRefusedWithTheReason_AndRunsNothing()
    {
        using RunningContainer container = Start(Policy("enforce"));
        var joined = container.Enter(Enforcer, "exec", "--", "/bin/touch", "/tmp/wrapper-ran");
        bool ran = Exists(container, "/tmp/wrapper-ran");
        RunResult run = container.Stop();

        Assert.False(ran, $"the wrapper's command ran\n{joined.Stderr}\n{run}");
        Assert.Equal(77, joined.ExitCode);
        Assert.Contains("microenforcer exec: refused by policy 'no-exec': exec sessions are blocked (spec.blockContainerExec)", joined.Stderr);
        JsonElement blocked = SingleEvent(run, "blocked");
        Assert.Equal("/bin/touch", blocked.GetProperty("path").GetString());
        Assert.Contains("exec -- /bin/touch /tmp/wrapper-ran", blocked.GetProperty("cmdline").GetString());
        Assert.Empty(run.Events("blockContainerExec", "killed"));   // the wrapper itself is let through to ask
    }

    [Fact]
    public void AuditMode_LetsEverySessionRun_AndReportsEach()
    {
        using RunningContainer container = Start(Policy("audit"));
        var entered = EnterLikeRunc(container, "/bin/touch", "/tmp/session-ran");
        var late = container.Enter("/bin/sh", "-c", UntilTraced + "touch /tmp/late-ran");
        var joined = container.Enter(Enforcer, "exec", "--", "/bin/touch", "/tmp/wrapper-ran");
        bool[] ran = [Exists(container, "/tmp/session-ran"), Exists(container, "/tmp/late-ran"), Exists(container, "/tmp/wrapper-ran")];
        RunResult run = container.Stop();

        Assert.True(ran.All(r => r), $"[{string.Join(", ", ran)}]\n{entered.Stderr}{late.Stderr}{joined.Stderr}\n{run}");
        Assert.Equal([0, 0, 0], new[] { entered.ExitCode, late.ExitCode, joined.ExitCode });
        // One event per session: not one per process the late shell had started (its greps).
        var detected = run.Events("blockContainerExec", "detected").ToList();
        Assert.True(detected.Count == 3, string.Join("\n", detected));
        Assert.Contains(detected, e => e.GetProperty("cmdline").GetString() == "/bin/touch /tmp/session-ran" &&
            e.GetProperty("reason").GetString()!.Contains("execs /bin/busybox", StringComparison.Ordinal));
        Assert.Contains(detected, e => e.GetProperty("cmdline").GetString()!.StartsWith("/bin/sh -c", StringComparison.Ordinal));
        Assert.Contains(detected, e => e.GetProperty("path").GetString() == "/bin/touch" && e.GetProperty("cmdline").GetString()!.Contains("exec --", StringComparison.Ordinal));
        Assert.All(detected, e => Assert.Equal("audit", e.GetProperty("mode").GetString()));
    }

    [Fact]
    public void AllowedFirstProgram_Runs_AsAnExecProbe_WhileOthersAreKilled()
    {
        using RunningContainer container = Start(Policy("enforce", allowed: "/opt/tests/hello"));
        var probe = EnterLikeRunc(container, "/opt/tests/hello");
        var other = EnterLikeRunc(container, "/bin/touch", "/tmp/session-ran");
        bool ran = Exists(container, "/tmp/session-ran");
        RunResult run = container.Stop();

        Assert.Equal(0, probe.ExitCode);
        Assert.Contains("hello from the image", probe.Stdout);
        Assert.False(ran);
        Assert.Equal(137, other.ExitCode);
        Assert.Equal("/bin/busybox", SingleEvent(run, "killed").GetProperty("path").GetString());
    }

    [Fact]
    public void TheWorkloadsOwnExecs_AreNotSessions()
    {
        Prerequisites.Require();
        RunResult run = Container.Run(["/bin/sh", "-c", "/bin/ls / >/dev/null && /opt/tests/hello && echo workload-ok"], Policy("enforce"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("hello from the image", run.Stdout);
        Assert.Contains("workload-ok", run.Stdout);
        Assert.Empty(run.AuditEvents);
    }
}
