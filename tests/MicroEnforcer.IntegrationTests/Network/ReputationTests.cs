using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Network.NetworkRun;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// DNS/IP Reputation: connections and sends to listed addresses and networks are refused however
/// the address was written (IPv4, IPv6, IPv4-mapped, the i386 entry point, flipped under the call);
/// lookups of listed domains and their subdomains fail through every resolver (glibc over UDP
/// and TCP, musl, busybox, dig over UDP and TCP) against a real DNS server (dnsmasq, <see cref="DnsFixture"/>),
/// which answers them all without the control. Lists also come from list files, in hosts-file and
/// one-per-line format, where a bad line is reported and the rest still loads. Unlisted names and
/// addresses keep working.
/// </summary>
public sealed class ReputationTests(ITestOutputHelper output)
{
    // 127.66.0.0/16 and fd66::/16 are on the container's loopback (NetworkRun): listed
    // addresses a test can really reach without the control.
    private static string ReputationPolicy(string mode, string extra = "") => Policy($$"""
        reputation:
          enabled: true
          mode: {{mode}}
          domains: [listed.test]
          addresses: ["127.66.0.0/16", "fd66::/16"]
        {{extra}}
        """);

    private const string Serve = Attack + " serve 80";

    private RunResult Run(string script, string? policy, Action<string>? prepareLayer = null) => NetworkRun.Run(output, script, policy, prepareLayer);

    public static TheoryData<string, string, int> AttacksOnListedAddresses => new()
    {
        { "connect", "127.66.0.1", 80 },
        { "connect_nb", "127.66.0.1", 80 },
        { "fastopen", "127.66.0.1", 80 },
        { "udp_sendto", "127.66.0.1", 80 },
        { "udp_connect_send", "127.66.0.1", 80 },
        { "udp_connect_sendto", "127.66.0.1", 80 },   // connected to 127.0.0.1:8080, sent to the listed address
        { "sendmsg", "127.66.0.1", 80 },
        { "sendmmsg", "127.66.0.1", 80 },
        { "i386", "127.66.0.1", 80 },
        { "connect", "127.66.255.254", 80 },        // the network's far end
        { "connect", "fd66::1", 80 },
        { "udp_sendto", "fd66::1", 80 },
        { "connect", "::ffff:127.66.0.1", 80 },
        { "sendmsg", "::ffff:127.66.0.1", 80 },
    };

    [Theory]
    [MemberData(nameof(AttacksOnListedAddresses))]
    public void TheAttackReachesTheListedAddressWithoutTheControl(string attack, string host, int port)
    {
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", null);

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        Assert.DoesNotContain("(no answer)", r.Stdout);
        Assert.DoesNotContain("(did not arrive)", r.Stdout);
    }

    [Theory]
    [MemberData(nameof(AttacksOnListedAddresses))]
    public void TheAttackOnAListedAddressIsRefusedInEnforceMode(string attack, string host, int port)
    {
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", ReputationPolicy("enforce"));

        Assert.Contains($"{attack} {Endpoint(host, port)}: EACCES", r.Stdout);
        Assert.DoesNotContain("(answered)", r.Stdout);
        Assert.DoesNotContain("(arrived)", r.Stdout);
        AssertEvent(r, "reputation", "blocked", remote: Reported(host, port));
    }

    [Theory]
    [MemberData(nameof(AttacksOnListedAddresses))]
    public void TheAttackOnAListedAddressIsReportedInAuditMode(string attack, string host, int port)
    {
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", ReputationPolicy("audit"));

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        AssertEvent(r, "reputation", "detected", remote: Reported(host, port));
        Assert.Empty(r.Events("reputation", "blocked"));
    }

    [Fact]
    public void UnlistedAddressesKeepWorking()
    {
        string script = $"""
            {Serve} &&
            {Attack} connect 127.0.0.1 80; {Attack} connect 127.67.0.1 80; {Attack} connect 127.65.255.255 80; {Attack} connect ::1 80
            {Attack} udp_sendto 127.0.0.1 80; {Attack} sendmmsg 127.0.0.1 80; {Attack} connect ::ffff:127.67.0.1 80; {Attack} bind 127.66.0.1 8080
            """;

        var r = Run(script, ReputationPolicy("enforce"));

        foreach (string line in new[]
        {
            "connect 127.0.0.1:80: ok", "connect 127.67.0.1:80: ok", "connect 127.65.255.255:80: ok", "connect [::1]:80: ok",
            "udp_sendto 127.0.0.1:80: ok (answered)", "sendmmsg 127.0.0.1:80: ok (2 sent", "connect [::ffff:127.67.0.1]:80: ok",
            "bind 127.66.0.1:8080: ok",   // a listed address is about where a workload connects and sends to, not where it listens
        })
            Assert.Contains(line, r.Stdout);
        AssertNoEvents(r, "reputation");
    }

    public static TheoryData<string, string> Flips => new()
    {
        { "flip_thread", "tcp" }, { "flip_process", "tcp" }, { "flip_thread", "udp" }, { "flip_process", "udp" },
    };

    [Theory]
    [MemberData(nameof(Flips))]
    public void TheAddressFlippedUnderTheCall_NeverReachesTheListedAddress(string mode, string protocol)
    {
        string attack = $"{Attack} {mode} {protocol} 127.0.0.1 8082 127.66.0.1 8082";

        var control = Run(attack, null);
        FlipRace.Parse(control.Stdout, mode).AssertReachedTheBlockedEndpoint(mode);

        var r = Run(attack, ReputationPolicy("enforce"));
        FlipRace.Parse(r.Stdout, mode).AssertNeverReachedTheBlockedEndpoint(mode);
        AssertEvent(r, "reputation", "blocked", remote: "127.66.0.1:8082", protocol: protocol);
    }

    // ---- lookups -------------------------------------------------------------------------

    // Resolver, name, the address dnsmasq answers (DnsFixture).
    public static TheoryData<string, string, string> ListedLookups
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (string resolver in Resolvers.Commands.Keys)
                data.Add(resolver, "listed.test", "127.1.2.3");
            foreach (string resolver in new[] { "getent", "musl", "nslookup", "dig", "dig_tcp" })
                data.Add(resolver, "sub.listed.test", "127.1.2.6");     // a subdomain of a listed domain
            foreach (string resolver in new[] { "getent", "dig", "nslookup" })
            {
                data.Add(resolver, "LiStEd.TeSt", "127.1.2.3");         // names are case-insensitive
                data.Add(resolver, "listed.test.", "127.1.2.3");        // the absolute form
            }
            return data;
        }
    }

    private static string Lookup(string resolver, string name) => $"{DnsFixture.Start} && {Resolvers.Lookup(resolver, name)}";

    [Theory]
    [MemberData(nameof(ListedLookups))]
    public void TheLookupOfAListedNameWorksWithoutTheControl(string resolver, string name, string address)
    {
        var r = Run(Lookup(resolver, name), null);

        Assert.Contains(address, r.Stdout);
    }

    [Theory]
    [MemberData(nameof(ListedLookups))]
    public void TheLookupOfAListedNameFailsInEnforceMode(string resolver, string name, string address)
    {
        var r = Run(Lookup(resolver, name), ReputationPolicy("enforce"));

        Assert.DoesNotContain(address, r.Stdout);
        if (resolver is not "dig" and not "dig_tcp")   // dig +short says nothing and exits 0 on NXDOMAIN
            Assert.DoesNotContain("rc=0", r.Stdout);
        if (resolver == "nslookup")
            Assert.Contains("can't find", r.Stdout + r.Stderr);
        var e = AssertEvent(r, "reputation", "blocked");
        Assert.EndsWith("listed.test", Field(e, "domain").TrimEnd('.').ToLowerInvariant(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ListedLookups))]
    public void TheLookupOfAListedNameIsReportedInAuditMode(string resolver, string name, string address)
    {
        var r = Run(Lookup(resolver, name), ReputationPolicy("audit"));

        Assert.Contains(address, r.Stdout);
        var e = AssertEvent(r, "reputation", "detected");
        Assert.EndsWith("listed.test", Field(e, "domain").TrimEnd('.').ToLowerInvariant(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnlistedNamesResolveThroughEveryResolver_AlsoAfterARefusal()
    {
        // Each resolver looks up ok.test; xlisted.test ends with "listed.test" but is not a
        // subdomain of it; musl and glibc look up a listed name, then an unlisted one.
        string script = DnsFixture.Start + " && " +
            string.Join("; ", Resolvers.Commands.Keys.Select(r => $"{{ {Resolvers.Commands[r].Replace("{0}", "ok.test", StringComparison.Ordinal)}; }} | grep -q 127.1.2.4 && echo '{r}: resolved'")) +
            "; getent hosts xlisted.test; dig +short example.com; /opt/tests/resolve_musl listed.test ok.test; getent hosts listed.test ok.test";

        var r = Run(script, ReputationPolicy("enforce"));

        foreach (string resolver in Resolvers.Commands.Keys)
            Assert.Contains($"{resolver}: resolved", r.Stdout);
        Assert.Contains("127.1.2.7       xlisted.test", r.Stdout);
        Assert.Contains("127.1.2.15", r.Stdout);
        Assert.Contains("resolve listed.test: failed", r.Stdout);
        Assert.Contains("resolve ok.test: 127.1.2.4", r.Stdout);
        Assert.Contains("127.1.2.4       ok.test", r.Stdout);
        Assert.DoesNotContain("127.1.2.3", r.Stdout);
        Assert.DoesNotContain(r.AuditEvents, e => Field(e, "control") == "reputation" && !Field(e, "domain").ToLowerInvariant().Contains("listed.test", StringComparison.Ordinal));
    }

    [Fact]
    public void QueriesToAnotherDnsPortAreJudgedWhenThePolicyNamesIt()
    {
        string script = $"{DnsFixture.Start} && {DnsFixture.StartOnPort(5353)} && dig -p 5353 +short +tries=1 +time=3 listed.test; dig -p 5353 +short ok.test";

        var control = Run(script, null);
        Assert.Contains("127.1.2.3", control.Stdout);

        var r = Run(script, ReputationPolicy("enforce", "  dnsPorts: [53, 5353]"));
        Assert.DoesNotContain("127.1.2.3", r.Stdout);
        Assert.Contains("127.1.2.4", r.Stdout);
        AssertEvent(r, "reputation", "blocked", domain: "listed.test");
    }

    // ---- list files ----------------------------------------------------------------------

    private const string HostsList = """
        # hosts-file format: the address column is the sinkhole, not a listed address
        0.0.0.0 hostsfile.test
        127.0.0.1   also.hostsfile.test   # a comment after the name
        """;

    // Line 3 is bad; the lines around it still load.
    private const string LinesList = "linefile.test\n127.77.0.0/16\nbad_dom@in\nlast.test\n";

    private static void AddListFiles(string upper)
    {
        Directory.CreateDirectory(Path.Combine(upper, "etc/lists"));
        File.WriteAllText(Path.Combine(upper, "etc/lists/bad-hosts"), HostsList + "\n");
        File.WriteAllText(Path.Combine(upper, "etc/lists/bad-lines"), LinesList);
    }

    private static string ListFilePolicy(string mode) => Policy($$"""
        reputation:
          enabled: true
          mode: {{mode}}
          listFiles: [/etc/lists/bad-hosts, /etc/lists/bad-lines]
        """);

    private const string ListScript = DnsFixture.Start + " && " + Serve + " && " +
        "for n in hostsfile.test also.hostsfile.test linefile.test last.test ok.test; do getent hosts $n || echo \"$n: not found\"; done; " +
        Attack + " connect 127.77.0.1 80; " + Attack + " connect 127.0.0.1 80; echo workload-ran";

    [Fact]
    public void ListFiles_InHostsAndOnePerLineFormat_WorkWithoutTheControl()
    {
        var r = Run(ListScript, null, AddListFiles);

        foreach (string address in new[] { "127.1.2.9", "127.1.2.10", "127.1.2.11", "127.1.2.12", "127.1.2.4" })
            Assert.Contains(address, r.Stdout);
        Assert.Contains("connect 127.77.0.1:80: ok", r.Stdout);
    }

    [Fact]
    public void ListFiles_ListTheirDomainsAndNetworks_AndABadLineIsReportedWhileTheRestLoads()
    {
        var r = Run(ListScript, ListFilePolicy("enforce"), AddListFiles);

        Assert.Contains("workload-ran", r.Stdout);
        foreach (string name in new[] { "hostsfile.test", "also.hostsfile.test", "linefile.test", "last.test" })
            Assert.Contains($"{name}: not found", r.Stdout);
        Assert.Contains("127.1.2.4", r.Stdout);                           // ok.test
        Assert.Contains("connect 127.77.0.1:80: EACCES", r.Stdout);       // a network on line 2
        Assert.Contains("connect 127.0.0.1:80: ok", r.Stdout);           // the hosts file's address column is not listed
        // The bad line, by file and line, with what is wrong in it.
        Assert.Contains("/etc/lists/bad-lines:3", r.Stderr);
        Assert.Contains("bad_dom@in", r.Stderr);
        AssertEvent(r, "reputation", "blocked", domain: "hostsfile.test");
        AssertEvent(r, "reputation", "blocked", domain: "last.test");
        AssertEvent(r, "reputation", "blocked", "connect", remote: "127.77.0.1:80");
    }

    [Fact]
    public void AListFileThatCannotBeRead_StopsTheStartWithItsName()
    {
        void Layer(string upper) => Directory.CreateDirectory(Path.Combine(upper, "etc/lists/a-directory"));
        foreach (string list in new[] { "/etc/lists/missing", "/etc/lists/a-directory" })
        {
            string policy = Policy($$"""
                reputation:
                  enabled: true
                  listFiles: [{{list}}]
                """);

            var r = Run("echo workload-ran", policy, Layer);

            Assert.NotEqual(0, r.ExitCode);
            Assert.DoesNotContain("workload-ran", r.Stdout);
            Assert.Contains(list, r.Stderr);
            Assert.Contains("policy.yaml:6:", r.Stderr);   // the policy's line that names it
            Assert.DoesNotContain("unknown field", r.Stderr);
        }
    }

    [Fact]
    public void ABadNetworkPolicyIsRefusedWithItsLinesBeforeAnythingStarts()
    {
        string bad = Policy("""
            portBlock:
              enabled: true
              inboundPorts: [70000]
            reputation:
              enabled: true
              domains: ["bad_dom@in"]
              addresses: ["10.0.0.1/8"]
            """);

        var r = Run("echo workload-ran", bad);

        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("workload-ran", r.Stdout);
        Assert.Contains("policy.yaml:6:", r.Stderr);    // 70000
        Assert.Contains("spec.portBlock.inboundPorts[0]", r.Stderr);
        Assert.Contains("policy.yaml:9:", r.Stderr);    // bad_dom@in
        Assert.Contains("spec.reputation.domains[0]", r.Stderr);
        Assert.Contains("policy.yaml:10:", r.Stderr);   // 10.0.0.1/8
        Assert.Contains("spec.reputation.addresses[0]", r.Stderr);
        Assert.Contains("nothing was started", r.Stderr);
    }
}
