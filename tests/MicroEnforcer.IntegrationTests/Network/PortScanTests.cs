using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Network.NetworkRun;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// Port Scanning Detection (audit only): real scans (nmap -sT, nmap -sU and -sS with their raw socket, a
/// host sweep, a shell loop of nc -z) are reported once per window, naming the process; a client
/// opening a thousand connections to one port and servers answering many clients are not. The
/// window is a minute here, longer than any scan below takes, so that "once" does not depend on
/// how fast the machine is.
/// How each scan sends (strace -f -e trace=network, Debian 12, as root):
/// <list type="bullet">
/// <item>nmap -sT: one TCP socket per port, non-blocking connect (EINPROGRESS), getsockopt(SO_ERROR); 200 ports, 202 connects.</item>
/// <item>nmap -sU: one raw socket (AF_INET, SOCK_RAW, IPPROTO_RAW, IP_HDRINCL) and sendto per port of a
/// whole IP+UDP packet: the sockaddr_in carries the port too, but the kernel sends what the payload's
/// UDP header says (destination port at payload offset IHL*4+2); the answers are read from an
/// AF_PACKET socket (PACKET_RX_RING) on lo. No connect, no UDP socket. Needs CAP_NET_RAW.</item>
/// <item>nmap -sS: the same raw socket, one whole IP+TCP SYN packet per port (the port at payload offset IHL*4+2).</item>
/// <item>nc.openbsd -z: one process per port, non-blocking connect, poll, getsockopt(SO_ERROR): a
/// loop of them is many processes, each trying one port, under one shell.</item>
/// </list>
/// </summary>
public sealed class PortScanTests(ITestOutputHelper output)
{
    private static readonly string ScanPolicy = Policy("""
        portScanDetection:
          enabled: true
          window: 60s
          distinctPorts: 20
          distinctHosts: 50
        """);

    private RunResult Run(string script, string? policy) => NetworkRun.Run(output, script, policy);

    // The scan, and what its output shows when it ran (the control).
    public static TheoryData<string, string> Scans => new()
    {
        { "nmap -n -Pn -sT -p 1-200 127.0.0.1", "200 closed tcp ports" },
        { "nmap -n -Pn -sU -p 1-100 127.0.0.1", "100 closed udp ports" },
        { "nmap -n -Pn -sS -p 1-200 127.0.0.1", "200 closed tcp ports" },                 // SYN probes in raw packets
        { "nmap -n -Pn -sT -p 8080 127.0.1.1-60", "60 IP addresses" },                    // a sweep of hosts, one port
        { "for p in $(seq 1 60); do nc.openbsd -z -w 2 127.0.0.1 $p; done; echo loop-done", "loop-done" },
    };

    [Theory]
    [MemberData(nameof(Scans))]
    public void TheScanRunsWithoutTheControl(string scan, string ran)
    {
        var r = Run(scan, null);

        Assert.Contains(ran, r.Stdout);
        AssertNoEvents(r, "portScanDetection");
    }

    [Theory]
    [MemberData(nameof(Scans))]
    public void TheScanIsDetectedOncePerWindow(string scan, string ran)
    {
        var r = Run(scan, ScanPolicy);

        Assert.Contains(ran, r.Stdout);   // audit only: the scan is not stopped
        var e = Assert.Single(r.Events("portScanDetection", "detected"));
        Assert.Empty(r.Events("portScanDetection", "blocked"));
        // It names the process (nmap, or for the loop one of its nc processes or the shell that runs them).
        string text = e.ToString();
        Assert.True(scan.StartsWith("nmap", StringComparison.Ordinal) ? text.Contains("nmap", StringComparison.Ordinal)
            : text.Contains("nc.openbsd", StringComparison.Ordinal) || text.Contains("sh", StringComparison.Ordinal), text);
        Assert.True(e.TryGetProperty("count", out var count) && count.GetInt32() >= 20, $"the event has no count of 20 or more targets: {text}");
    }

    [Fact]
    public void ALoopOfBlockingConnects_OneShortLivedProcessPerPort_IsTheShellsScan()
    {
        // A blocking connect is performed on a worker thread and the caller answered before the
        // control counts it: each probe exits at once, so who made it must be read before.
        string script = $"for p in $(seq 1 30); do {Attack} connect 127.0.0.1 $p; done | grep -c ECONNREFUSED";

        var r = Run(script, ScanPolicy);

        Assert.Contains("30", r.Stdout);
        var e = Assert.Single(r.Events("portScanDetection", "detected"));
        Assert.Contains("/bin/sh -c for p in", NetworkRun.Field(e, "cmdline"), StringComparison.Ordinal);
        Assert.Contains("its child processes", NetworkRun.Field(e, "reason"), StringComparison.Ordinal);
        Assert.Equal(20, e.GetProperty("count").GetInt32());
        Assert.Equal(20, e.GetProperty("targets").GetProperty("failures").GetInt32());   // ECONNREFUSED, at once
        Assert.Equal(10, e.GetProperty("targets").GetProperty("sample").GetArrayLength());
    }

    [Fact]
    public void AThousandConnectionsToOnePort_AndTheServerAnsweringThem_AreNotAScan()
    {
        // The TCP server accepts 1000 clients; the UDP one answers 60 clients, each from its own
        // port (a DNS server's pattern: many destination ports, one per client).
        string script = $"""
            {Attack} serve 8080 &&
            {Attack} connect_many 127.0.0.1 8080 1000
            for i in $(seq 1 60); do {Attack} udp_sendto 127.0.0.1 8080; done | grep -c 'ok (answered)'
            """;

        var r = Run(script, ScanPolicy);

        Assert.Contains("connect_many 127.0.0.1:8080: 1000 ok, 0 failed", r.Stdout);
        Assert.Contains("\n60\n", "\n" + r.Stdout);
        AssertNoEvents(r, "portScanDetection");
    }

    [Fact]
    public void ADnsServerAnsweringManyLookupsIsNotAScan()
    {
        string script = $"{DnsFixture.Start} && for i in $(seq 1 40); do getent hosts ok.test; done | grep -c ok.test";

        var r = Run(script, ScanPolicy);

        Assert.Contains("40", r.Stdout);
        AssertNoEvents(r, "portScanDetection");
    }

    [Fact]
    public void FewerDistinctPortsThanTheThresholdAreNotAScan()
    {
        var r = Run("nmap -n -Pn -sT -p 1-19 127.0.0.1", ScanPolicy);

        Assert.Contains("19/tcp closed", r.Stdout);
        AssertNoEvents(r, "portScanDetection");
    }
}
