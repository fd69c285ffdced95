using System.Text.RegularExpressions;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Capabilities;

/// <summary>
/// Limit New Privileges: under the enforcer (default policy, no Capabilities Block) a non-root
/// user gains nothing from a setuid-root binary or a file capability. The control run without the
/// enforcer is in <see cref="CapabilitiesBlockTests"/>: there both elevate.
/// </summary>
public sealed partial class LimitNewPrivilegesTests(ITestOutputHelper output)
{
    private const string Probe = "/opt/tests/capprobe";

    [Fact]
    public void ASetuidRootBinaryDoesNotMakeANonRootUserRoot_NorDoesAFileCapabilityGrantNetRaw()
    {
        RunResult r = Container.Run(["/bin/sh", "-c", $"{Probe} as 65534 {Probe}_suid; {Probe} as 65534 {Probe}_fcap"]);
        output.WriteLine(r.ToString());
        string[] runs = r.Stdout.Split("ids ", StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, runs.Length);
        var setuid = new CapabilityProbe("ids " + runs[0]);
        var fileCapability = new CapabilityProbe("ids " + runs[1]);
        Assert.Equal((65534, 65534), (setuid.Uid, setuid.Euid));
        Assert.True(setuid.NoNewPrivs);
        Assert.Equal("EPERM", setuid.RawSocket);
        Assert.Equal(["CapBnd"], setuid.SetsHolding(CapabilityProbe.NetRaw));
        Assert.Equal("EPERM", fileCapability.RawSocket);
        Assert.Equal(["CapBnd"], fileCapability.SetsHolding(CapabilityProbe.NetRaw));
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void TheStartupLogDeclaresIt_AndShowsTheWorkloadUnderNoNewPrivs()
    {
        RunResult r = Container.Run(["/bin/true"]);
        output.WriteLine(r.ToString());

        Assert.Contains("limit new privileges enforce (NO_NEW_PRIVS: setuid, setgid and file capabilities do not elevate)", r.Stderr);
        Assert.Matches(WorkloadPrivileges(), r.Stderr);
    }

    [GeneratedRegex(@"workload pid \d+ execs /bin/true with NoNewPrivs 1, CapBnd [0-9a-f]{16}, CapEff [0-9a-f]{16}")]
    private static partial Regex WorkloadPrivileges();
}
