namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// A real DNS server for the reputation and mining tests: Debian's dnsmasq, started by the
/// workload's script inside the container (its own network namespace, loopback only), with test
/// zones and no upstream. Every answer is a loopback address (127.1.2.x), so that whatever a test
/// connects to after a lookup stays on the container's loopback.
/// </summary>
internal static class DnsFixture
{
    /// <summary>Where the image's /etc/resolv.conf points glibc, musl, busybox and dig.</summary>
    public const string Server = "127.0.0.1";

    public const string ConfigPath = "/etc/dnsmasq-test.conf";

    /// <summary>
    /// Starts dnsmasq on 127.0.0.1:53 (UDP and TCP); returns once it answers (dnsmasq's daemon
    /// mode: the command ends after the server has bound its sockets, or fails with the reason).
    /// As root, with no pid file: the image has no dnsmasq user and no /run.
    /// </summary>
    public const string Start = "dnsmasq --conf-file=" + ConfigPath;

    /// <summary>The same server on another port (the dnsPorts tests).</summary>
    public static string StartOnPort(int port) => $"{Start} --port={port}";

    // host-record, not address=/name/: a host record answers AAAA with NODATA (no AAAA, the name
    // exists), where address= answers REFUSED without an upstream; musl and busybox then report
    // the whole lookup failed. local=/test/ and /com/: every other name in them is NXDOMAIN.
    public const string Config = """
        no-resolv
        no-hosts
        listen-address=127.0.0.1
        bind-interfaces
        user=root
        group=root
        pid-file=
        local=/test/
        local=/com/
        local=/org/
        host-record=listed.test,127.1.2.3
        host-record=ok.test,127.1.2.4
        host-record=pool.minexmr.com,127.1.2.5
        host-record=sub.listed.test,127.1.2.6
        host-record=xlisted.test,127.1.2.7
        host-record=extra.pool.test,127.1.2.8
        host-record=hostsfile.test,127.1.2.9
        host-record=also.hostsfile.test,127.1.2.10
        host-record=linefile.test,127.1.2.11
        host-record=last.test,127.1.2.12
        host-record=pool.supportxmr.com,127.1.2.13
        host-record=xmr.pool.minergate.com,127.1.2.14
        host-record=example.com,127.1.2.15

        """;
}
