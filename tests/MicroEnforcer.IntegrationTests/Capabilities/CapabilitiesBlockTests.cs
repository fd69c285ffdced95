using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Capabilities;

/// <summary>
/// Capabilities Block against real processes: TestPrograms/capprobe.c opens a raw socket (what
/// CAP_NET_RAW is for: ping, packet crafting, sniffing), tries to take NET_RAW back with capset
/// and PR_CAP_AMBIENT_RAISE, and prints its five capability sets as the kernel shows them. PID 1
/// starts with NET_RAW in all five (setpriv adds it to the inheritable and ambient sets), so each
/// set is shown to lose it, and each attack has a control run where it works.
/// </summary>
public sealed class CapabilitiesBlockTests(ITestOutputHelper output)
{
    private const string Probe = "/opt/tests/capprobe";
    private const string AllFiveSets = "setpriv --inh-caps +net_raw --ambient-caps +net_raw --";

    internal static string Policy(string mode = "enforce", string capabilities = "[NET_RAW]") => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          capabilitiesBlock: { mode: {{mode}}, capabilities: {{capabilities}} }
        """;

    private RunResult Run(string[] command, string? policy, string pid1Wrapper = AllFiveSets)
    {
        string[] launcher = policy is null
            ? ["/.microenforcer/microenforcer", "run", "--", .. command]
            : ["/.microenforcer/microenforcer", "run", "--policy", Container.PolicyPathInContainer, "--", .. command];
        RunResult r = Container.RunRaw(launcher, policy, pid1Wrapper: pid1Wrapper);
        output.WriteLine(r.ToString());
        return r;
    }

    [Fact]
    public void Control_WithoutThePolicy_TheWorkloadHoldsNetRawInEverySet_AndOpensARawSocket()
    {
        RunResult r = Run([Probe, "child"], policy: null);

        foreach (string prefix in new[] { "", "child " })
        {
            var probe = new CapabilityProbe(r.Stdout, prefix);
            Assert.Equal("ok", probe.RawSocket);
            Assert.Equal(CapabilityProbe.Sets, probe.SetsHolding(CapabilityProbe.NetRaw));
            // The raises the enforce test sees refused do succeed where nothing was taken away.
            Assert.Equal("ok", probe.Raise);
            Assert.Equal("ok", probe.AmbientRaise);
        }
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void Enforce_RemovesNetRawFromAllFiveSets_OfTheWorkloadAndItsChild_AndARawSocketFailsWithEperm()
    {
        RunResult r = Run([Probe, "child"], Policy());

        foreach (string prefix in new[] { "", "child " })
        {
            var probe = new CapabilityProbe(r.Stdout, prefix);
            Assert.Equal("EPERM", probe.RawSocket);
            Assert.Equal("EPERM", probe.Raise);
            Assert.Equal("EPERM", probe.AmbientRaise);
            Assert.Empty(probe.SetsHolding(CapabilityProbe.NetRaw));
            // The rest is kept: root still owns files.
            Assert.Equal(CapabilityProbe.Sets[..3], probe.SetsHolding(CapabilityProbe.Chown));
            Assert.True(probe.NoNewPrivs);
        }
        Assert.Contains("capabilities block enforce (removes NET_RAW at launch)", r.Stderr);
        Assert.Empty(r.AuditEvents);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void Enforce_BusyboxPingCannotOpenItsSocket()
    {
        const string Ping = "ping -c 1 -W 2 127.0.0.1; echo \"rc=$?\"";
        RunResult control = Run(["/bin/sh", "-c", Ping], policy: null);
        RunResult blocked = Run(["/bin/sh", "-c", Ping], Policy());

        Assert.Contains("1 packets received", control.Stdout);
        Assert.Contains("rc=0", control.Stdout);
        Assert.Contains("rc=1", blocked.Stdout);
        Assert.Contains("ping: permission denied (are you root?)", blocked.Stderr);
    }

    [Fact]
    public void Enforce_NamesAreCaseInsensitive_WithOrWithoutCapPrefix_AndAllTakesEverything()
    {
        var prefixed = new CapabilityProbe(Run([Probe], Policy(capabilities: "[cap_net_raw]")).Stdout);
        RunResult all = Run([Probe], Policy(capabilities: "[ALL]"));
        var none = new CapabilityProbe(all.Stdout);

        Assert.Equal("EPERM", prefixed.RawSocket);
        Assert.Empty(prefixed.SetsHolding(CapabilityProbe.NetRaw));
        Assert.Equal("EPERM", none.RawSocket);
        foreach (string set in CapabilityProbe.Sets)
            Assert.Equal(0UL, none.Set(set));
    }

    [Fact]
    public void Control_WithoutTheEnforcer_FileCapabilityAndSetuidBinariesElevateANonRootUser()
    {
        RunResult r = Container.RunRaw(["/bin/sh", "-c",
            $"{Probe} as 65534 {Probe}_fcap; {Probe} as 65534 {Probe}_suid"]);
        output.WriteLine(r.ToString());
        string[] runs = r.Stdout.Split("ids ", StringSplitOptions.RemoveEmptyEntries);

        var fileCapability = new CapabilityProbe("ids " + runs[0]);
        var setuid = new CapabilityProbe("ids " + runs[1]);
        Assert.Equal((65534, "ok"), (fileCapability.Euid, fileCapability.RawSocket));
        Assert.Equal((65534, 0, "ok"), (setuid.Uid, setuid.Euid, setuid.RawSocket));
    }

    [Fact]
    public void Enforce_NeitherAFileCapabilityNorASetuidRootBinaryBringsNetRawBack()
    {
        RunResult r = Run(["/bin/sh", "-c",
            $"{Probe}_fcap; echo \"fcap-root=$?\"; {Probe} as 65534 {Probe}_fcap; echo \"fcap-nobody=$?\"; {Probe} as 65534 {Probe}_suid"], Policy());

        // A file whose capabilities are effective (+ep) runs with all of them or not at all: with
        // NET_RAW out of the bounding set the kernel refuses its execve (EPERM), for root too.
        Assert.Contains("/bin/sh: /opt/tests/capprobe_fcap: Operation not permitted", r.Stderr);
        Assert.Contains("fcap-root=126", r.Stdout);
        Assert.Contains("capprobe: exec: Operation not permitted", r.Stderr);
        Assert.Contains("fcap-nobody=127", r.Stdout);
        // The setuid-root binary runs, as nobody, without NET_RAW.
        var setuid = new CapabilityProbe(r.Stdout);
        Assert.Equal((65534, 65534, "EPERM"), (setuid.Uid, setuid.Euid, setuid.RawSocket));
        Assert.Empty(setuid.SetsHolding(CapabilityProbe.NetRaw));
    }

    [Fact]
    public void Audit_LeavesNetRaw_AndReportsTheWorkloadHoldingIt()
    {
        RunResult r = Run([Probe], Policy(mode: "audit"));

        var probe = new CapabilityProbe(r.Stdout);
        Assert.Equal("ok", probe.RawSocket);
        Assert.Equal(CapabilityProbe.Sets, probe.SetsHolding(CapabilityProbe.NetRaw));
        var detected = Assert.Single(r.Events("capabilitiesBlock", "detected"));
        Assert.Equal("the workload holds NET_RAW (bounding, effective, permitted, inheritable, ambient) at launch; enforce mode would remove them",
            detected.GetProperty("reason").GetString());
        Assert.Equal("audit", detected.GetProperty("mode").GetString());
        Assert.Contains("capabilities block audit (reports NET_RAW held at launch)", r.Stderr);
    }

    [Fact]
    public void Enforce_WithoutCapSetpcap_RefusesToStart_NamingTheControlAndTheCapability()
    {
        // PID 1 cannot change its bounding set, so neither could the workload: nothing starts.
        RunResult r = Run(["/bin/echo", "WORKLOAD-RAN"], Policy(), pid1Wrapper: "setpriv --bounding-set -setpcap --");

        Assert.DoesNotContain("WORKLOAD-RAN", r.Stdout);
        Assert.Equal(71, r.ExitCode);
        Assert.Contains("cannot start the workload under the policy: capabilitiesBlock: NET_RAW cannot be removed from the workload's bounding set: PID 1 lacks CAP_SETPCAP", r.Stderr);
    }

    [Fact]
    public void WithoutCapSetpcap_AuditStarts_AndACapabilityTheRuntimeDroppedAlreadyNeedsNothing()
    {
        RunResult audit = Run([Probe], Policy(mode: "audit"), pid1Wrapper: "setpriv --bounding-set -setpcap --");
        RunResult dropped = Run([Probe], Policy(), pid1Wrapper: "setpriv --bounding-set -setpcap,-net_raw --");

        Assert.Equal("ok", new CapabilityProbe(audit.Stdout).RawSocket);
        Assert.Single(audit.Events("capabilitiesBlock", "detected"));
        var probe = new CapabilityProbe(dropped.Stdout);
        Assert.Equal("EPERM", probe.RawSocket);
        Assert.Empty(probe.SetsHolding(CapabilityProbe.NetRaw));
        Assert.Equal(0, dropped.ExitCode);
    }
}
