using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// One workload process writing into its sibling (TestPrograms/ptrace_attack.c): each attack
/// works under the enforcer with the control off (its default), is refused with EPERM in
/// enforce mode and reported in audit mode. The workload runs as root without CAP_SYS_PTRACE,
/// as the enforcer launches it: same uid and dumpable, which is all the kernel asks.
/// </summary>
public sealed class BlockPtraceTests(ITestOutputHelper output)
{
    private static string Policy(string mode) => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          blockPtrace: { enabled: true, mode: {{mode}} }
        """;

    public static TheoryData<string> Attacks => new()
    {
        "attach", "seize", "traceme", "vm_writev", "mem", "mem_openat", "mem_symlink", "mem_reopen", "mem_openat2", "mem_i386",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheAttackWorksWithTheControlOff(string attack)
    {
        var r = Container.Run(["/opt/tests/ptrace_attack", attack]);
        output.WriteLine(r.ToString());

        Assert.Contains($"{attack}: ok", r.Stdout);
        Assert.Contains("victim: PWNED", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheAttackIsRefusedInEnforceMode(string attack)
    {
        var r = Container.Run(["/opt/tests/ptrace_attack", attack], Policy("enforce"));
        output.WriteLine(r.ToString());

        Assert.Contains($"{attack}: errno 1", r.Stdout);   // EPERM
        Assert.Contains("victim: intact", r.Stdout);
        var e = Assert.Single(r.Events("ptrace", "blocked"));
        Assert.Equal("enforce", e.GetProperty("mode").GetString());
        Assert.Equal("/opt/tests/ptrace_attack", e.GetProperty("path").GetString());
        Assert.Contains("(/opt/tests/ptrace_attack)", e.GetProperty("reason").GetString());
        Assert.Single(r.AuditEvents);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheAttackIsReportedInAuditMode(string attack)
    {
        var r = Container.Run(["/opt/tests/ptrace_attack", attack], Policy("audit"));
        output.WriteLine(r.ToString());

        Assert.Contains($"{attack}: ok", r.Stdout);
        Assert.Contains("victim: PWNED", r.Stdout);
        var e = Assert.Single(r.Events("ptrace", "detected"));
        Assert.Equal("audit", e.GetProperty("mode").GetString());
    }

    [Fact]
    public void TracemeBeforeAnExecIsRefusedAndTheProgramRunsUntraced()
    {
        var r = Container.Run(["/opt/tests/ptrace_attack", "traceme_exec"], Policy("enforce"));
        output.WriteLine(r.ToString());

        Assert.Contains("traceme_exec: errno 1", r.Stdout);
        Assert.Contains("hello from the image", r.Stdout);
        var e = Assert.Single(r.Events("ptrace", "blocked"));
        Assert.Contains("PTRACE_TRACEME", e.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("self_mem")]
    [InlineData("self_vm_writev")]
    public void AProcessMayStillWriteIntoItself(string attack)
    {
        var r = Container.Run(["/opt/tests/ptrace_attack", attack], Policy("enforce"));
        output.WriteLine(r.ToString());

        Assert.Contains($"{attack}: ok", r.Stdout);
        Assert.Contains("self: written", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void AnExecSessionGetsBothControlsInItsInjectedFilter()
    {
        // The session's filter is written into its stack by PID 1 (FilterInjection): with System
        // Integrity Monitoring and Block ptrace on it is several times the default's length.
        Prerequisites.Require();
        string layer = Directory.CreateTempSubdirectory("microenforcer-policy-").FullName;
        Directory.CreateDirectory(Path.Combine(layer, "etc/microenforcer"));
        File.WriteAllText(Path.Combine(layer, "etc/microenforcer/policy.yaml"), Policy("enforce") + "\n  systemIntegrityMonitoring: { enabled: true }\n");
        using RunningContainer container = RunningContainer.Start(["/bin/sleep", "3600"], ["--policy", "/etc/microenforcer/policy.yaml"],
            ImageRootfs.WithLayer(layer));
        ProcessRunner.Result session;
        try
        {
            // As ExecSessionTests enter: wait until under enforcement, then exec the session's shell.
            session = container.Enter("/bin/sh", "-c",
                "while ! grep -qE 'TracerPid:[[:space:]]*[1-9]|NoNewPrivs:[[:space:]]*1' /proc/$$/status; do :; done; exec /bin/sh -c \"$0\"",
                "/opt/tests/ptrace_attack attach; /opt/tests/sim_calls sethostname_long");
        }
        catch (TimeoutException)
        {
            output.WriteLine(container.Stop().ToString());
            throw;
        }
        RunResult run = container.Stop();
        output.WriteLine(session.Stdout + session.Stderr);
        output.WriteLine(run.ToString());

        Assert.Contains("attach: errno 1", session.Stdout);
        Assert.Contains("victim: intact", session.Stdout);
        Assert.Contains("sethostname_long: errno 22", session.Stdout);
        Assert.Single(run.Events("ptrace", "blocked"));
        Assert.Single(run.Events("systemIntegrity", "detected"));
        Directory.Delete(layer, recursive: true);
    }

    [Fact]
    public void DriftIsStillRefusedAndFilesStillWritten()
    {
        // PID 1 traces execs and reads the workload's memory with ptrace and process_vm_readv:
        // it carries no filter, so the control leaves it alone. Writes to ordinary files are
        // notified (the /proc/PID/mem check) and go on.
        var r = Container.Run(["/bin/sh", "-c",
            "echo data > /tmp/file; cat /tmp/file; cp /opt/tests/hello /tmp/h; /tmp/h; echo \"rc=$?\"; /opt/tests/hello"], Policy("enforce"));
        output.WriteLine(r.ToString());

        Assert.Contains("data", r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        Assert.Contains("hello from the image", r.Stdout);
        var e = Assert.Single(r.Events("drift", "blocked"));
        Assert.Equal("/tmp/h", e.GetProperty("path").GetString());
        Assert.Empty(r.Events("ptrace", "blocked"));
    }

    [Fact]
    public void AReplacedElfInterpreterIsStillKilledAtTheExecEvent()
    {
        var r = Container.Run(["/bin/sh", "-c",
            "cat /opt/tests/fakeld > /lib64/ld-linux-x86-64.so.2; /opt/tests/hello_dyn; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"],
            Policy("enforce"), image: ImageRootfs.WithBash);
        output.WriteLine(r.ToString());

        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("rc=137", r.Stdout);
        var e = Assert.Single(r.Events("drift", "killed"));
        Assert.Contains("ELF interpreter /lib64/ld-linux-x86-64.so.2", e.GetProperty("reason").GetString());
    }
}
