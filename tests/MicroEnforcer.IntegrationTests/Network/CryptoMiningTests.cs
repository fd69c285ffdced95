using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Network.NetworkRun;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// Block Cryptocurrency Mining: lookups of mining pools fail (the built-in list seeded from
/// Falco's miner_domains, and the policy's own domains), and known miner executables do not run
/// (the built-in names, e.g. xmrig and minerd, and the policy's own). The image has the pools in
/// its DNS server (<see cref="DnsFixture"/>) and the miners as copies of hello
/// (<see cref="ImageRootfs.WithNetworkTools"/>), so that every attack works without the control.
/// </summary>
public sealed class CryptoMiningTests(ITestOutputHelper output)
{
    private static string MiningPolicy(string mode) => Policy($$"""
        cryptoMining:
          enabled: true
          mode: {{mode}}
          domains: [extra.pool.test]
          executables: [myminer]
        """);

    private RunResult Run(string script, string? policy) => NetworkRun.Run(output, script, policy);

    // Resolver, pool, the address dnsmasq answers.
    public static TheoryData<string, string, string> PoolLookups => new()
    {
        { "getent", "pool.minexmr.com", "127.1.2.5" },              // built in (Falco's miner_domains)
        { "musl", "pool.supportxmr.com", "127.1.2.13" },
        { "dig", "xmr.pool.minergate.com", "127.1.2.14" },
        { "dig_tcp", "pool.minexmr.com", "127.1.2.5" },
        { "nslookup", "pool.minexmr.com", "127.1.2.5" },
        { "getent_ahosts", "extra.pool.test", "127.1.2.8" },        // the policy's own
        { "dig", "extra.pool.test", "127.1.2.8" },
    };

    private static string Lookup(string resolver, string name) => $"{DnsFixture.Start} && {Resolvers.Lookup(resolver, name)}";

    [Theory]
    [MemberData(nameof(PoolLookups))]
    public void ThePoolResolvesWithoutTheControl(string resolver, string pool, string address)
    {
        var r = Run(Lookup(resolver, pool), null);

        Assert.Contains(address, r.Stdout);
    }

    [Theory]
    [MemberData(nameof(PoolLookups))]
    public void ThePoolLookupFailsInEnforceMode(string resolver, string pool, string address)
    {
        var r = Run(Lookup(resolver, pool), MiningPolicy("enforce"));

        Assert.DoesNotContain(address, r.Stdout);
        AssertEvent(r, "cryptoMining", "blocked", domain: pool);
    }

    [Theory]
    [MemberData(nameof(PoolLookups))]
    public void ThePoolLookupIsReportedInAuditMode(string resolver, string pool, string address)
    {
        var r = Run(Lookup(resolver, pool), MiningPolicy("audit"));

        Assert.Contains(address, r.Stdout);
        AssertEvent(r, "cryptoMining", "detected", domain: pool);
    }

    // The miner as the shell runs it (by path, or found on PATH).
    public static TheoryData<string> Miners => new() { "/usr/bin/xmrig", "xmrig", "minerd", "/opt/miners/myminer" };

    [Theory]
    [MemberData(nameof(Miners))]
    public void TheMinerRunsWithoutTheControl(string miner)
    {
        var r = Run($"{miner}; echo rc=$?", null);

        Assert.Contains("hello from the image", r.Stdout);
        Assert.Contains("rc=0", r.Stdout);
    }

    [Theory]
    [MemberData(nameof(Miners))]
    public void TheMinerIsRefusedInEnforceMode(string miner)
    {
        var r = Run($"{miner}; echo rc=$?", MiningPolicy("enforce"));

        Assert.DoesNotContain("hello from the image", r.Stdout);
        Assert.Contains("rc=126", r.Stdout);   // the shell: found, but cannot be executed (EACCES)
        var e = AssertEvent(r, "cryptoMining", "blocked", "execve");
        Assert.Contains(Path.GetFileName(miner), e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Miners))]
    public void TheMinerIsReportedInAuditMode(string miner)
    {
        var r = Run($"{miner}; echo rc=$?", MiningPolicy("audit"));

        Assert.Contains("hello from the image", r.Stdout);
        AssertEvent(r, "cryptoMining", "detected", "execve");
    }

    [Fact]
    public void OtherNamesAndProgramsAreNotMining()
    {
        string script = $"{DnsFixture.Start} && getent hosts ok.test example.com; dig +short sub.listed.test; /opt/tests/resolve_musl ok.test; /opt/tests/hello; echo rc=$?";

        var r = Run(script, MiningPolicy("enforce"));

        Assert.Contains("127.1.2.4       ok.test", r.Stdout);
        Assert.Contains("127.1.2.15      example.com", r.Stdout);
        Assert.Contains("127.1.2.6", r.Stdout);
        Assert.Contains("resolve ok.test: 127.1.2.4", r.Stdout);
        Assert.Contains("hello from the image\nrc=0", r.Stdout);
        AssertNoEvents(r, "cryptoMining");
    }
}
