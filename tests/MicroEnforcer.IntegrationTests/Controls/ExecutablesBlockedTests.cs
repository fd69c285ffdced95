using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// Executables Blocked against real processes: listed executables do not run, image binaries
/// included (busybox's network applets here), whatever name or route they are run by.
/// </summary>
public sealed class ExecutablesBlockedTests
{
    private const string Hello = "hello from the image";

    private static string Policy(string blocked, string mode = "enforce", string extra = "", bool enabled = true) => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          mode: enforce
          executablesBlocked: { enabled: {{(enabled ? "true" : "false")}}, mode: {{mode}}, executables: {{blocked}} }
        {{extra}}
        """;

    // Every way to the wget and nc applets of the image's busybox. 126: refused with EACCES; the
    // fetches themselves would fail with 1 (nothing listens on port 9).
    private const string NetworkApplets = """
        wget -q -O /dev/null http://127.0.0.1:9/; echo wget=$?
        /usr/bin/wget -q -O /dev/null http://127.0.0.1:9/; echo path=$?
        busybox wget -q -O /dev/null http://127.0.0.1:9/; echo busybox=$?
        /bin/busybox busybox wget -q -O /dev/null http://127.0.0.1:9/; echo nested=$?
        ln -s /bin/busybox /tmp/wget; /tmp/wget -q -O /dev/null http://127.0.0.1:9/; echo link=$?
        (exec -a wget /bin/busybox -q -O /dev/null http://127.0.0.1:9/); echo argv0=$?
        (exec -a -wget /bin/busybox -q -O /dev/null http://127.0.0.1:9/); echo login=$?
        sh -c 'nc 127.0.0.1 9 </dev/null'; echo nc=$?
        /opt/tests/exec_compat i386 /usr/bin/nc; echo i386=$?
        """;

    [Fact]
    public void BusyboxNetworkApplets_AreBlocked_EveryWayTheyCanBeNamed()
    {
        var r = Container.Run(["/bin/sh", "-c", NetworkApplets], Policy("[wget, nc]"));

        foreach (string route in new[] { "wget", "path", "busybox", "nested", "link", "argv0", "login", "nc" })
            Assert.Contains($"{route}=126", r.Stdout);
        Assert.Contains("exec_compat: errno 13", r.Stdout);
        Assert.Contains("wget: Permission denied", r.Stderr);
        // busybox's shell runs an applet through /proc/self/exe first, then by PATH: a refused
        // wget from the shell is two refused execs, each reported.
        var events = r.Events("executablesBlocked", "blocked").ToList();
        Assert.True(events.Count >= 9, r.ToString());
        Assert.All(events, e => Assert.Equal("/bin/busybox", e.GetProperty("path").GetString()));
        Assert.Contains(events, e => e.GetProperty("requestedPath").GetString() == "/tmp/wget");
        Assert.Contains(events, e => e.GetProperty("reason").GetString() == "the busybox applet 'nc' matches 'nc' in the blocked executables (spec.executablesBlocked.executables)");
        Assert.Empty(r.Events("executablesBlocked", "killed"));
    }

    [Fact]
    public void Control_WithTheControlOff_TheSameRoutesRunTheApplets()
    {
        var r = Container.Run(["/bin/sh", "-c", NetworkApplets], Policy("[wget, nc]", enabled: false));

        foreach (string route in new[] { "wget", "path", "busybox", "nested", "link", "argv0", "login", "nc" })
            Assert.Contains($"{route}=1", r.Stdout);
        Assert.DoesNotContain("=126", r.Stdout);
    }

    [Fact]
    public void OtherAppletsOfTheSameBinaryStillRun()
    {
        var r = Container.Run(["/bin/sh", "-c", "ls / >/dev/null; echo ls=$?; busybox true; echo true=$?; ln -s /bin/busybox /tmp/foo; /tmp/foo; echo foo=$?"],
            Policy("[wget, nc]"));

        Assert.Contains("ls=0", r.Stdout);
        Assert.Contains("true=0", r.Stdout);
        Assert.Contains("foo=127", r.Stdout);   // "foo: applet not found": busybox runs nothing by that name
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void PathGlobs_BlockTheCanonicalPath_ThroughSymlinksAndRelativePaths()
    {
        const string Script = "/opt/tests/hello; echo direct=$?; ln -s /opt/tests/hello /tmp/h; /tmp/h; echo link=$?; cd /opt && tests/hello; echo relative=$?; /opt/tests/execat selfexe; echo other=$?";
        var r = Container.Run(["/bin/sh", "-c", Script], Policy("[\"/opt/tests/hel*\"]"));

        Assert.DoesNotContain(Hello, r.Stdout);
        Assert.Contains("direct=126", r.Stdout);
        Assert.Contains("link=126", r.Stdout);
        Assert.Contains("relative=126", r.Stdout);
        Assert.Contains("reexec-ok", r.Stdout);
        var events = r.Events("executablesBlocked", "blocked").ToList();
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("/opt/tests/hello", e.GetProperty("path").GetString()));
        Assert.Contains(events, e => e.GetProperty("requestedPath").GetString() == "/tmp/h");
    }

    [Fact]
    public void AScriptThatCallsABlockedProgram_IsRefusedAtThatProgramsExec()
    {
        var r = Container.Run(["/opt/app/fetch.sh"], Policy("[wget]"), prepareLayer: upper =>
        {
            Directory.CreateDirectory(Path.Combine(upper, "opt/app"));
            string script = Path.Combine(upper, "opt/app/fetch.sh");
            File.WriteAllText(script, "#!/bin/sh\nwget -q -O /dev/null http://127.0.0.1:9/\necho \"fetch rc=$?\"\n");
            File.SetUnixFileMode(script, (UnixFileMode)0x1ed);
        });

        Assert.Contains("fetch rc=126", r.Stdout);
        Assert.All(r.AuditEvents, e => Assert.Equal("the busybox applet 'wget' matches 'wget' in the blocked executables (spec.executablesBlocked.executables)",
            e.GetProperty("reason").GetString()));
        Assert.NotEmpty(r.Events("executablesBlocked", "blocked"));
    }

    [Fact]
    public void ABlockedInterpreter_KillsItsScriptAtTheExecEvent()
    {
        // The entry check sees the script (not blocked); the kernel then starts its interpreter,
        // busybox run as /bin/sh, which the exec event finds blocked, and kills before it runs.
        var r = Container.Run(["/usr/bin/env", "/opt/tests/ok.sh", "ran"], Policy("[sh]"));

        Assert.Equal(137, r.ExitCode);
        Assert.DoesNotContain("script-ok", r.Stdout);
        var e = Assert.Single(r.Events("executablesBlocked", "killed"));
        Assert.Equal("/bin/busybox", e.GetProperty("path").GetString());
        Assert.Equal("the busybox applet 'sh' matches 'sh' in the blocked executables (spec.executablesBlocked.executables)", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void ABlockedEntrypoint_IsRefusedBeforeAnythingStarts()
    {
        var r = Container.Run(["wget", "-q", "http://127.0.0.1:9/"], Policy("[wget]"));

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("microenforcer: policy error: the entrypoint 'wget' (/bin/busybox) is refused by spec.executablesBlocked: the busybox applet 'wget' matches 'wget' in the blocked executables (spec.executablesBlocked.executables)", r.Stderr);
        Assert.DoesNotContain("workload started", r.Stderr);
    }

    [Fact]
    public void AuditMode_ReportsAndLetsItRun()
    {
        var r = Container.Run(["/bin/sh", "-c", "wget -q -O /dev/null http://127.0.0.1:9/; echo wget=$?"], Policy("[wget]", mode: "audit"));

        Assert.Contains("wget=1", r.Stdout);
        var e = Assert.Single(r.Events("executablesBlocked", "detected"));
        Assert.Equal("audit", e.GetProperty("mode").GetString());
    }

    [Fact]
    public void AHardLinkUnderAnotherName_IsNotThisControlsToCatch_DriftPreventionRefusesIt()
    {
        // The list names paths, not inodes: /root/h is a new path, so it is drift.
        var r = Container.Run(["/bin/sh", "-c", "ln /opt/tests/hello /root/h && /root/h; echo rc=$?"], Policy("[/opt/tests/hello]"));

        Assert.DoesNotContain(Hello, r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        var e = Assert.Single(r.Events("drift", "blocked"));
        Assert.Equal("/root/h", e.GetProperty("path").GetString());
    }

    [Fact]
    public void ADriftedFileThatIsAlsoBlocked_IsReportedAsBlocked()
    {
        var r = Container.Run(["/bin/sh", "-c", "cp /opt/tests/hello /tmp/hello; /tmp/hello; echo rc=$?"], Policy("[hello]"));

        Assert.Contains("rc=126", r.Stdout);
        var e = Assert.Single(r.AuditEvents);
        Assert.Equal("executablesBlocked", e.GetProperty("control").GetString());
    }

    [Fact]
    public void TheElfInterpreterRunAsAProgram_MayNotRunABlockedProgram()
    {
        const string Script = """
            /opt/tests/hello_dyn; echo plain=$?
            /lib64/ld-linux-x86-64.so.2 /opt/tests/hello_dyn; echo direct=$?
            /lib64/ld-linux-x86-64.so.2 --list /opt/tests/hello_dyn >/dev/null; echo list=$?
            """;
        var r = Container.Run(["/bin/sh", "-c", Script], Policy("[hello_dyn]", extra: "  driftPrevention: { enabled: false }"),
            image: ImageRootfs.WithBash);

        Assert.DoesNotContain(Hello, r.Stdout);
        Assert.Contains("plain=126", r.Stdout);
        Assert.Contains("direct=137", r.Stdout);
        Assert.Contains("list=0", r.Stdout);
        Assert.Single(r.Events("executablesBlocked", "blocked"));
        var killed = Assert.Single(r.Events("executablesBlocked", "killed"));
        Assert.Contains("run directly with a program argument (/opt/tests/hello_dyn)", killed.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ADynamicallyLinkedProgramThatIsNotBlocked_Runs()
    {
        // The ELF interpreter the kernel maps is not judged by the list, even when a name matches it.
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/hello_dyn; echo rc=$?"], Policy("[\"ld-*\"]"), image: ImageRootfs.WithBash);

        Assert.Contains(Hello, r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void ExecSessions_AreHeldToTheList()
    {
        Prerequisites.Require();
        using RunningContainer container = RunningContainer.Start(["/bin/sleep", "3600"], policy: Policy("[wget]"));
        var direct = container.Enter("/.microenforcer/microenforcer", "exec", "--", "wget", "-q", "http://127.0.0.1:9/");
        var shell = container.Enter("/.microenforcer/microenforcer", "exec", "--", "/bin/sh", "-c", "wget -q http://127.0.0.1:9/; echo rc=$?");
        RunResult run = container.Stop();

        Assert.Equal(126, direct.ExitCode);
        Assert.Contains("microenforcer exec: wget: Permission denied", direct.Stderr);
        Assert.Contains("rc=126", shell.Stdout);
        Assert.True(run.Events("executablesBlocked", "blocked").Count() >= 2, run.ToString());
        Assert.Empty(run.Events("executablesBlocked", "killed"));
    }
}
