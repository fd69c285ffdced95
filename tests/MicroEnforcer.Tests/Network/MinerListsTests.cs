using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Network;

/// <summary>Falco's crypto-mining lists, embedded in the binary.</summary>
public class MinerListsTests
{
    [Fact]
    public void Domains_UniteFalcosThreeLists()
    {
        string[] names = [.. MinerLists.Domains.Select(d => d.Name)];

        Assert.True(names.Length >= 60, $"{names.Length} domains");
        Assert.Contains("pool.minexmr.com", names);
        Assert.Contains("xmr.pool.minergate.com", names);
        Assert.Contains("stratum-btm.antpool.com", names);
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Equal("pool.minexmr.com", DomainSet.From(MinerLists.Domains).Match("Pool.MineXMR.com."));
    }

    [Fact]
    public void Ports_AndExecutables_HoldTheKnownEntries()
    {
        var ports = new PortSet(MinerLists.Ports);
        Assert.True(ports.Contains(3333) && ports.Contains(14444) && ports.Contains(45700));
        Assert.False(ports.Contains(443));

        Assert.Contains("xmrig", MinerLists.Executables);
        Assert.Contains("t-rex", MinerLists.Executables);
        Assert.True(MinerLists.Executables.Count >= 20);
    }

    [Fact]
    public void Parse_StripsSchemesAndPorts_AndSkipsMacros()
    {
        var (domains, ports, executables) = MinerLists.Parse("""
            - list: miner_domains
              items: ["https://Pool.Example:443/path", "plain.example:3333", "plain.example"]
            - macro: anything
              condition: (fd.sport="443")
            - list: miner_ports
              items: [25, 3333]
            - list: unrelated
              items: [x]
            """);

        Assert.Equal(["pool.example", "plain.example"], domains.Select(d => d.Name));
        Assert.Equal([new PortRange(25, 25), new PortRange(3333, 3333)], ports);
        Assert.Empty(executables);
    }
}
