using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// Executables Allowed against real processes: only listed executables run. Image binaries are
/// used throughout, so drift prevention (on, as by default) has nothing to say, and every refusal
/// seen is the allow-list's.
/// </summary>
public sealed class ExecutablesAllowedTests
{
    private const string Hello = "hello from the image";

    internal static string Policy(string allowed, string mode = "enforce", string extra = "") => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          mode: enforce
          executablesAllowed: { enabled: true, mode: {{mode}}, executables: {{allowed}} }
        {{extra}}
        """;

    [Fact]
    public void ListedProgramsRun_AnUnlistedImageProgramIsPermissionDenied()
    {
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/hello; echo hello=$?; /opt/tests/pwned; echo pwned=$?; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"],
            Policy("[sh, /opt/tests/hel*]"));

        Assert.Contains(Hello, r.Stdout);
        Assert.Contains("hello=0", r.Stdout);
        Assert.Contains("pwned=126", r.Stdout);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("/opt/tests/pwned: Permission denied", r.Stderr);
        var e = Assert.Single(r.Events("executablesAllowed", "blocked"));
        Assert.Equal("/opt/tests/pwned", e.GetProperty("path").GetString());
        Assert.Equal("execve", e.GetProperty("syscall").GetString());
        Assert.Equal("it is not in the allowed executables (spec.executablesAllowed.executables)", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void Control_WithoutTheList_TheSameProgramRuns()
    {
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/pwned; echo pwned=$?"], Policy("[]"));

        Assert.Contains("pwned=42", r.Stdout);
        Assert.Empty(r.Events("executablesAllowed", "blocked"));
    }

    [Fact]
    public void AuditMode_ReportsAndLetsItRun()
    {
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/pwned; echo pwned=$?"], Policy("[sh]", mode: "audit"));

        Assert.Contains("pwned=42", r.Stdout);
        var e = Assert.Single(r.Events("executablesAllowed", "detected"));
        Assert.Equal("/opt/tests/pwned", e.GetProperty("path").GetString());
        Assert.Equal("audit", e.GetProperty("mode").GetString());
    }

    [Fact]
    public void BusyboxAppletsAreJudgedByTheAppletTheyRun_WhateverTheyAreCalled()
    {
        // sh and echo are listed; busybox itself is not, so neither its wget applet nor busybox run as "busybox wget".
        const string Script = """
            wget -q -O /dev/null http://127.0.0.1:9/; echo wget=$?
            busybox wget -q -O /dev/null http://127.0.0.1:9/; echo busybox=$?
            ln -s /bin/busybox /tmp/sh2; /tmp/sh2 -c 'echo nested-shell'; echo link=$?
            (exec -a sh /bin/busybox -c 'echo renamed-shell'); echo argv0=$?
            """;
        var r = Container.Run(["/bin/sh", "-c", Script], Policy("[sh]"));

        Assert.Contains("wget=126", r.Stdout);
        Assert.Contains("busybox=126", r.Stdout);
        // A link named sh2 would run the applet "sh2" (there is none): not listed either. argv[0] "sh" runs sh.
        Assert.Contains("link=126", r.Stdout);
        Assert.Contains("renamed-shell", r.Stdout);
        Assert.Contains("argv0=0", r.Stdout);
        var events = r.Events("executablesAllowed", "blocked").ToList();
        Assert.Contains(events, e => e.GetProperty("requestedPath").GetString() == "/bin/busybox" && e.GetProperty("cmdline").GetString()!.StartsWith("busybox wget", StringComparison.Ordinal)
            && e.GetProperty("reason").GetString() == "the busybox applet 'wget' is not in the allowed executables (spec.executablesAllowed.executables)");
        Assert.Contains(events, e => e.GetProperty("reason").GetString() == "the busybox applet 'sh2' is not in the allowed executables (spec.executablesAllowed.executables)");
    }

    [Fact]
    public void BareNamesAndGlobs_MatchTheFileThatRuns_NotTheNameItIsCalledBy()
    {
        // A symlink named hello to an unlisted program is still that program.
        const string Script = "ln -s /opt/tests/pwned /tmp/hello; /tmp/hello; echo link=$?; cd /opt && tests/hello; echo relative=$?";
        var r = Container.Run(["/bin/sh", "-c", Script], Policy("[sh, hello]"));

        Assert.Contains("link=126", r.Stdout);
        Assert.Contains(Hello, r.Stdout);
        Assert.Contains("relative=0", r.Stdout);
        var e = Assert.Single(r.Events("executablesAllowed", "blocked"));
        Assert.Equal("/opt/tests/pwned", e.GetProperty("path").GetString());
        Assert.Equal("/tmp/hello", e.GetProperty("requestedPath").GetString());
    }

    [Fact]
    public void AScriptRunsWhenItAndItsInterpreterAreListed()
    {
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/ok.sh listed; echo ok=$?; /opt/tests/ok_e.sh unlisted; echo ok_e=$?"],
            Policy("[sh, /opt/tests/ok.sh]"));

        Assert.Contains("script-ok listed", r.Stdout);
        Assert.Contains("ok=0", r.Stdout);
        Assert.Contains("ok_e=126", r.Stdout);
        var e = Assert.Single(r.Events("executablesAllowed", "blocked"));
        Assert.Equal("/opt/tests/ok_e.sh", e.GetProperty("path").GetString());
    }

    [Fact]
    public void TheEntrypointMustBeInTheList_OrNothingStarts()
    {
        var r = Container.Run(["sh", "-c", "echo workload-ran"], Policy("[/opt/tests/hello]"));

        Assert.Equal(78, r.ExitCode);
        Assert.DoesNotContain("workload-ran", r.Stdout);
        Assert.Contains("microenforcer: policy error: the entrypoint 'sh' (/bin/busybox) is refused by spec.executablesAllowed: the busybox applet 'sh' is not in the allowed executables (spec.executablesAllowed.executables)", r.Stderr);
        Assert.Contains("nothing was started", r.Stderr);
    }

    [Fact]
    public void AScriptEntrypointNeedsItsInterpreterListedToo()
    {
        var r = Container.Run(["/opt/tests/ok.sh", "x"], Policy("[/opt/tests/ok.sh]"));

        Assert.Equal(78, r.ExitCode);
        Assert.DoesNotContain("script-ok", r.Stdout);
        Assert.Contains("the interpreter '/bin/sh' of the entrypoint script '/opt/tests/ok.sh' (/bin/busybox) is refused by spec.executablesAllowed", r.Stderr);
    }

    [Fact]
    public void AnEntrypointFoundInPathByItsListedName_Starts()
    {
        var r = Container.Run(["sh", "-c", "echo workload-ran"], Policy("[sh]"));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("workload-ran", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void InAuditMode_AnUnlistedEntrypointStartsWithAWarning()
    {
        var r = Container.Run(["sh", "-c", "echo workload-ran"], Policy("[/opt/tests/hello]", mode: "audit"));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("workload-ran", r.Stdout);
        Assert.Contains("the entrypoint 'sh' (/bin/busybox) would be refused by spec.executablesAllowed in enforce mode", r.Stderr);
        Assert.NotEmpty(r.Events("executablesAllowed", "detected"));
    }

    [Fact]
    public void ADynamicallyLinkedProgramRuns_WithoutItsElfInterpreterListed()
    {
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/hello_dyn; echo rc=$?"], Policy("[sh, /opt/tests/hello_dyn]"), image: ImageRootfs.WithBash);

        Assert.Contains(Hello, r.Stdout);
        Assert.Contains("rc=0", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void TheElfInterpreterRunAsAProgram_MayNotRunAProgram_EvenWhenListed()
    {
        // Drift prevention refuses direct loader runs too: off here, so the allow-list is what refuses it.
        const string Script = """
            /lib64/ld-linux-x86-64.so.2 --list /opt/tests/hello_dyn >/dev/null; echo list=$?
            /lib64/ld-linux-x86-64.so.2 /opt/tests/hello_dyn; echo direct=$?
            """;
        var r = Container.Run(["/bin/sh", "-c", Script], Policy("[sh, /opt/tests/hello_dyn, ld-linux*]", extra: "  driftPrevention: { enabled: false }"),
            image: ImageRootfs.WithBash);

        Assert.Contains("list=0", r.Stdout);
        Assert.Contains("direct=137", r.Stdout);
        Assert.DoesNotContain(Hello, r.Stdout);
        var e = Assert.Single(r.Events("executablesAllowed", "killed"));
        Assert.Contains("run directly with a program argument (/opt/tests/hello_dyn)", e.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Control_WithoutTheList_TheLoaderRunsTheProgram()
    {
        var r = Container.Run(["/bin/sh", "-c", "/lib64/ld-linux-x86-64.so.2 /opt/tests/hello_dyn; echo direct=$?"],
            Policy("[]", extra: "  driftPrevention: { enabled: false }"), image: ImageRootfs.WithBash);

        Assert.Contains(Hello, r.Stdout);
        Assert.Contains("direct=0", r.Stdout);
    }

    [Fact]
    public void ExecSessions_AreHeldToTheList_AndMicroenforcerExecItselfMayRun()
    {
        Prerequisites.Require();
        using RunningContainer container = RunningContainer.Start(["/bin/sleep", "3600"], policy: Policy("[sleep, sh]"));
        var direct = container.Enter("/.microenforcer/microenforcer", "exec", "--", "/opt/tests/hello");
        var shell = container.Enter("/.microenforcer/microenforcer", "exec", "--", "/bin/sh", "-c", "echo in-session; /opt/tests/hello; echo rc=$?");
        RunResult run = container.Stop();

        Assert.DoesNotContain(Hello, direct.Stdout);
        Assert.Equal(126, direct.ExitCode);
        Assert.Contains("microenforcer exec: /opt/tests/hello: Permission denied", direct.Stderr);
        Assert.Contains("in-session", shell.Stdout);
        Assert.Contains("rc=126", shell.Stdout);
        Assert.True(run.Events("executablesAllowed", "blocked").Count() >= 2, run.ToString());
    }
}
