using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// Attacks on the tracer, from the security review: a stale bookkeeping entry taken for a trace
/// someone else holds, a deadlock between seizing and reaping, and the workload taking PID 1 over.
/// </summary>
public sealed class TracerIntegrityTests
{
    [Fact]
    public void TaskSeizedByTheWorkloadCannotSlipThroughAStaleEntry()
    {
        // stale.c: a leader left seized by a failed exec, released unreported by its thread's
        // exec, then seized by its parent, execs a drifted ELF through /dev/fd/10.
        var r = Container.Run(["/bin/sh", "-c", "cp /opt/tests/pwned /tmp/evil; /opt/tests/stale /tmp/evil; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"]);

        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.DoesNotContain("child exited 42", r.Stderr);
        Assert.NotEmpty(r.AuditEvents);
    }

    [Fact]
    public void ConcurrentExecsBesideASeizedThreadDoNotDeadlock()
    {
        // deadlock.c, 20 rounds: a thread left seized by a failed exec, and four sibling threads
        // exec at once. Each round must finish, and execs must still work afterwards.
        var r = Container.Run(["/bin/sh", "-c",
            "i=0; while [ $i -lt 20 ]; do i=$((i+1)); /opt/tests/deadlock 4 2>/dev/null || { echo \"HANG at $i\"; break; }; done; /bin/echo execs-still-work"],
            timeout: TimeSpan.FromMinutes(2));

        Assert.DoesNotContain("HANG", r.Stdout);
        Assert.Contains("execs-still-work", r.Stdout);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void WorkloadCannotPtracePid1WhenNeitherHasPtraceCapability()
    {
        // Fargate without SYS_PTRACE: PID 1 and the workload have the same credentials and caps.
        var r = Container.RunRaw(
            ["/.microenforcer/microenforcer", "run", "--", "/bin/sh", "-c",
             "cp /opt/tests/pwned /tmp/evil; /opt/tests/pid1 /tmp/evil; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"],
            pid1Wrapper: "setpriv --bounding-set -sys_ptrace --inh-caps -all --");

        Assert.True(r.Stdout.Contains("PTRACE_SEIZE PID 1 thread", StringComparison.Ordinal), r.ToString());
        Assert.DoesNotContain("stole PID 1's fd", r.Stdout);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
    }

    [Fact]
    public void WorkloadDoesNotInheritPtraceCapabilityThroughTheInheritableSet()
    {
        var r = Container.RunRaw(["/.microenforcer/microenforcer", "run", "--", "/bin/cat", "/proc/self/status"],
            pid1Wrapper: "setpriv --inh-caps +sys_ptrace --");

        string Field(string name) => r.Stdout.Split('\n').Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        foreach (string set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            ulong mask = ulong.Parse(Field(set), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True((mask & (1UL << 19)) == 0, $"{set} still has CAP_SYS_PTRACE: {Field(set)}");
        }
    }
}
