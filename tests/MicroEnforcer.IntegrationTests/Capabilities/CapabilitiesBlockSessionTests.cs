using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Capabilities;

/// <summary>
/// Capabilities Block in exec sessions: one entered from outside as runc exec does (nsenter),
/// which PID 1 captures and injects the capability drop into with the filter, and one through
/// `microenforcer exec`, which drops them itself before its command runs. Each has its control.
/// </summary>
public sealed class CapabilitiesBlockSessionTests(ITestOutputHelper output)
{
    private static readonly string[] Workload = ["/bin/sleep", "3600"];
    private const string Enforcer = "/.microenforcer/microenforcer";
    private const string Probe = "/opt/tests/capprobe";

    // As in Sessions/ExecSessionTests, the entered shell waits until it is under enforcement, then
    // execs the probe, whose own exec event is where the injection happens; but with builtins only:
    // a grep it started would itself be a session process, killed where the injection fails.
    private const string UntilUnderEnforcement =
        "while :; do u=0; while read -r k v; do case \"$k$v\" in TracerPid:[1-9]*|NoNewPrivs:1) u=1;; esac; done < /proc/$$/status; " +
        "[ $u = 1 ] && break; done; ";

    private static ProcessRunner.Result EnterLikeRunc(RunningContainer container, string script, string hostWrapper = "")
    {
        string[] nsenter = ["nsenter", "--target", container.Pid1.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--pid", "--mount", "--net", "--root", "--wd", "--", "/bin/sh", "-c", UntilUnderEnforcement + "exec /bin/sh -c \"$0\"", script];
        string[] command = [.. hostWrapper.Split(' ', StringSplitOptions.RemoveEmptyEntries), .. nsenter];
        return ProcessRunner.Run(command[0], command[1..], TimeSpan.FromSeconds(60));
    }

    private static RunningContainer Start(string? policy)
    {
        Prerequisites.Require();
        return RunningContainer.Start(Workload, policy: policy);
    }

    [Fact]
    public void Control_WithoutThePolicy_SessionsHoldNetRaw()
    {
        using RunningContainer container = Start(policy: null);
        var entered = EnterLikeRunc(container, Probe);
        var joined = container.Enter(Enforcer, "exec", "--", Probe);
        container.Stop();
        output.WriteLine(entered.Stdout + joined.Stdout);

        Assert.Equal("ok", new CapabilityProbe(entered.Stdout).RawSocket);
        Assert.Equal("ok", new CapabilityProbe(joined.Stdout).RawSocket);
        Assert.Contains("CapBnd", new CapabilityProbe(joined.Stdout).SetsHolding(CapabilityProbe.NetRaw));
    }

    [Fact]
    public void Enforce_AnEnteredSessionLosesNetRaw_InEverySet()
    {
        using RunningContainer container = Start(CapabilitiesBlockTests.Policy());
        var session = EnterLikeRunc(container, Probe + " child");
        RunResult run = container.Stop();
        output.WriteLine(session.Stdout + run.Stderr);

        foreach (string prefix in new[] { "", "child " })
        {
            var probe = new CapabilityProbe(session.Stdout, prefix);
            Assert.Equal("EPERM", probe.RawSocket);
            Assert.Equal("EPERM", probe.Raise);
            Assert.Empty(probe.SetsHolding(CapabilityProbe.NetRaw));
            Assert.Contains("CapEff", probe.SetsHolding(CapabilityProbe.Chown));
        }
        Assert.Contains("is enforced: filter injected", run.Stderr);
    }

    [Fact]
    public void Enforce_MicroenforcerExecDropsNetRawBeforeItsCommandRuns()
    {
        using RunningContainer container = Start(CapabilitiesBlockTests.Policy());
        var session = container.Enter(Enforcer, "exec", "--", Probe);
        var setuid = container.Enter(Enforcer, "exec", "--", Probe, "as", "65534", Probe + "_suid");
        RunResult run = container.Stop();
        output.WriteLine(session.Stdout + setuid.Stdout + run.Stderr);

        var probe = new CapabilityProbe(session.Stdout);
        Assert.Equal("EPERM", probe.RawSocket);
        Assert.Empty(probe.SetsHolding(CapabilityProbe.NetRaw));
        var elevated = new CapabilityProbe(setuid.Stdout);
        Assert.Equal((65534, "EPERM"), (elevated.Euid, elevated.RawSocket));
        Assert.Contains("joined enforcement through `microenforcer exec`", run.Stderr);
    }

    [Fact]
    public void Enforce_ASessionThatCannotLoseNetRawFromItsBoundingSet_NeverRunsItsCommand()
    {
        // Entered without CAP_SETPCAP (setpriv on the host, before nsenter): PR_CAPBSET_DROP is
        // refused, so the session would keep NET_RAW where a later exec could find it again.
        using RunningContainer container = Start(CapabilitiesBlockTests.Policy());
        var entered = EnterLikeRunc(container, Probe, hostWrapper: "setpriv --bounding-set -setpcap --");
        var joined = ProcessRunner.Run("setpriv", ["--bounding-set", "-setpcap", "--", "nsenter", "--target",
            container.Pid1.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pid", "--mount", "--net", "--root", "--wd", "--",
            Enforcer, "exec", "--", Probe], TimeSpan.FromSeconds(60));
        RunResult run = container.Stop();
        output.WriteLine(entered + "\n" + joined + "\n" + run.Stderr);

        Assert.DoesNotContain("raw=", entered.Stdout);
        Assert.Equal(128 + 9, entered.ExitCode);
        var killed = Assert.Single(run.Events("capabilitiesBlock", "killed"));
        Assert.Contains("CAP_NET_RAW cannot be removed from its bounding set", killed.GetProperty("reason").GetString());

        Assert.DoesNotContain("raw=", joined.Stdout);
        Assert.Equal(71, joined.ExitCode);
        Assert.Contains("microenforcer exec: cannot remove the capabilities the policy blocks (capabilitiesBlock): Operation not permitted", joined.Stderr);
    }

    [Fact]
    public void Audit_SessionsKeepNetRaw_AndAreReported()
    {
        using RunningContainer container = Start(CapabilitiesBlockTests.Policy(mode: "audit"));
        var entered = EnterLikeRunc(container, Probe);
        var joined = container.Enter(Enforcer, "exec", "--", Probe);
        RunResult run = container.Stop();
        output.WriteLine(entered.Stdout + joined.Stdout + run.Stderr);

        Assert.Equal("ok", new CapabilityProbe(entered.Stdout).RawSocket);
        Assert.Equal("ok", new CapabilityProbe(joined.Stdout).RawSocket);
        var reasons = run.Events("capabilitiesBlock", "detected").Select(e => e.GetProperty("reason").GetString()).ToList();
        Assert.Contains(reasons, r => r!.StartsWith("the exec session holds NET_RAW", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r!.StartsWith("the exec session (microenforcer exec) holds NET_RAW", StringComparison.Ordinal));
    }
}
