using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Network.NetworkRun;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// Port Block against the ways to reach a port (TestPrograms/net_attack.c): each reaches a
/// listening server on loopback with no policy (the control run), is refused with EACCES and an
/// audit event in enforce mode, goes through with a "detected" event in audit mode; unlisted ports
/// keep working. Outbound: connect (blocking and not), UDP sendto, connect then send, sendto with
/// an address on a connected UDP socket, sendmsg, sendmmsg, TCP Fast Open, the i386 entry points, IPv6 and IPv4-mapped addresses. Inbound: TCP
/// and UDP binds, IPv4 and IPv6, ranges. Then the allow-list form, and the address flipped under
/// the call by a second thread and by a second process.
/// </summary>
public sealed class PortBlockTests(ITestOutputHelper output)
{
    // serve listens on [::] (both families) for TCP and UDP on each port and answers.
    private const string Serve = Attack + " serve 4444 7005 8080 7011 6999";

    private static string BlockPolicy(string mode) => Policy($$"""
        portBlock:
          enabled: true
          mode: {{mode}}
          inboundPorts: [22, "6000-6100"]
          outboundPorts: [4444, "7000-7010"]
        """);

    private RunResult Run(string script, string? policy) => NetworkRun.Run(output, script, policy);

    // Mode, host, port, and the syscall the event names (null: not asserted, for the i386 entry
    // points, whose socketcall the enforcer may name either way).
    public static TheoryData<string, string, int, string?> OutboundAttacks => new()
    {
        { "connect", "127.0.0.1", 4444, "connect" },
        { "connect_nb", "127.0.0.1", 4444, "connect" },
        { "fastopen", "127.0.0.1", 4444, "sendto" },
        { "udp_sendto", "127.0.0.1", 4444, "sendto" },
        { "udp_connect_send", "127.0.0.1", 4444, "connect" },
        { "sendmsg", "127.0.0.1", 4444, "sendmsg" },
        { "sendmmsg", "127.0.0.1", 4444, "sendmmsg" },
        { "udp_connect_sendto", "127.0.0.1", 4444, "sendto" },   // connected to 8080, sent to 4444
        { "udp_connect_sendto", "::1", 4444, "sendto" },
        { "i386", "127.0.0.1", 4444, null },
        { "i386_direct", "127.0.0.1", 4444, null },
        { "i386_sendto", "127.0.0.1", 4444, null },
        { "connect", "::1", 4444, "connect" },
        { "connect_nb", "::1", 4444, "connect" },
        { "udp_sendto", "::1", 4444, "sendto" },
        { "sendmsg", "::1", 4444, "sendmsg" },
        { "connect", "::ffff:127.0.0.1", 4444, "connect" },
        { "udp_sendto", "::ffff:127.0.0.1", 4444, "sendto" },
        { "connect", "127.66.0.1", 4444, "connect" },     // any address: the port is what is listed
        { "connect", "127.0.0.1", 7005, "connect" },      // inside the range 7000-7010
        { "udp_sendto", "127.0.0.1", 7005, "sendto" },
    };

    private static bool IsUdp(string attack) =>
        attack is "udp_sendto" or "udp_connect_send" or "udp_connect_sendto" or "sendmsg" or "sendmmsg" or "i386_sendto";

    [Theory]
    [MemberData(nameof(OutboundAttacks))]
    public void TheAttackReachesTheListedPortWithoutTheControl(string attack, string host, int port, string? syscall)
    {
        _ = syscall;
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", null);

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        // serve got it: the datagram (or the Fast Open data) really arrived.
        if (attack == "sendmmsg")
            Assert.Contains($"answers from: {port} {port})", r.Stdout);
        else if (attack == "udp_connect_sendto")
            Assert.Contains("(arrived)", r.Stdout);
        else if (IsUdp(attack) || attack == "fastopen")
            Assert.Contains("(answered)", r.Stdout);
        AssertNoEvents(r, "portBlock");
    }

    [Theory]
    [MemberData(nameof(OutboundAttacks))]
    public void TheAttackIsRefusedInEnforceMode(string attack, string host, int port, string? syscall)
    {
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", BlockPolicy("enforce"));

        Assert.Contains("serve: listening on 5 ports", r.Stdout);
        Assert.Contains($"{attack} {Endpoint(host, port)}: EACCES", r.Stdout);
        Assert.DoesNotContain("(answered)", r.Stdout);
        Assert.DoesNotContain("(arrived)", r.Stdout);
        AssertEvent(r, "portBlock", "blocked", syscall, remote: Reported(host, port), protocol: IsUdp(attack) ? "udp" : "tcp");
    }

    [Theory]
    [MemberData(nameof(OutboundAttacks))]
    public void AuditMode_LetsTheAttackThroughAndReportsIt(string attack, string host, int port, string? syscall)
    {
        var r = Run($"{Serve} && {AttackCommand(attack, host, port)}", BlockPolicy("audit"));

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        AssertEvent(r, "portBlock", "detected", syscall, remote: Reported(host, port));
        Assert.Empty(r.Events("portBlock", "blocked"));
    }

    [Fact]
    public void UnlistedPortsKeepWorking_OutboundAndInbound()
    {
        string script = $"""
            {Serve} &&
            for a in connect connect_nb fastopen udp_sendto udp_connect_send sendmsg sendmmsg i386 i386_sendto; do {Attack} $a 127.0.0.1 8080; done
            {Attack} connect ::1 8080; {Attack} connect ::ffff:127.0.0.1 8080; {Attack} udp_sendto ::1 8080
            {Attack} connect 127.0.0.1 6999; {Attack} connect 127.0.0.1 7011
            {Attack} bind 0.0.0.0 23; {Attack} bind :: 5999; {Attack} bind 0.0.0.0 6101; {Attack} bind_udp 0.0.0.0 21; {Attack} bind_udp :: 6101
            {Attack} bind 127.0.0.1 0
            """;
        var r = Run(script, BlockPolicy("enforce"));

        foreach (string line in new[]
        {
            "connect 127.0.0.1:8080: ok", "connect_nb 127.0.0.1:8080: ok", "fastopen 127.0.0.1:8080: ok (answered)", "udp_sendto 127.0.0.1:8080: ok (answered)",
            "udp_connect_send 127.0.0.1:8080: ok (answered)", "sendmsg 127.0.0.1:8080: ok (answered)", "sendmmsg 127.0.0.1:8080: ok (2 sent",
            "i386 127.0.0.1:8080: ok", "i386_sendto 127.0.0.1:8080: ok (answered)",
            "connect [::1]:8080: ok", "connect [::ffff:127.0.0.1]:8080: ok", "udp_sendto [::1]:8080: ok (answered)",
            "connect 127.0.0.1:6999: ok", "connect 127.0.0.1:7011: ok",
            "bind 0.0.0.0:23: ok", "bind [::]:5999: ok", "bind 0.0.0.0:6101: ok", "bind_udp 0.0.0.0:21: ok", "bind_udp [::]:6101: ok",
            // Port 0: a client choosing its source address (dig does so), not a listening port.
            "bind 127.0.0.1:0: ok",
        })
            Assert.Contains(line, r.Stdout);
        AssertNoEvents(r, "portBlock");
    }

    [Fact]
    public void OfTwoDatagramsInOneSendmmsg_TheOneToAListedPortNeverArrives()
    {
        // The first message to 8080 (unlisted), the second to 4444 (listed).
        string script = $"{Serve} && {Attack} sendmmsg 127.0.0.1 4444 127.0.0.1 8080";

        var control = Run(script, null);
        Assert.Contains("sendmmsg 127.0.0.1:4444: ok (2 sent; ", control.Stdout);
        Assert.Equal(["4444", "8080"], AnsweredPorts(control.Stdout).Order());

        var r = Run(script, BlockPolicy("enforce"));
        Assert.Contains("serve: listening on 5 ports", r.Stdout);
        Assert.Contains("sendmmsg 127.0.0.1:4444: ", r.Stdout);
        Assert.DoesNotContain("4444", AnsweredPorts(r.Stdout));   // its datagram never left
        AssertEvent(r, "portBlock", "blocked", "sendmmsg", remote: "127.0.0.1:4444", protocol: "udp");
    }

    // The ports that answered a sendmmsg, in the order the answers came: "(N sent; answers from: P P)".
    private static string[] AnsweredPorts(string stdout)
    {
        int at = stdout.IndexOf("answers from:", StringComparison.Ordinal);
        if (at < 0)
            return [];
        int end = stdout.IndexOf(')', at);
        return stdout[(at + "answers from:".Length)..end].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    // Inbound: mode, host, port, protocol.
    public static TheoryData<string, string, int, string> InboundAttacks => new()
    {
        { "bind", "0.0.0.0", 22, "tcp" },
        { "bind", "127.0.0.1", 22, "tcp" },
        { "bind", "::", 22, "tcp" },
        { "bind", "::1", 22, "tcp" },
        { "bind", "::ffff:127.0.0.1", 22, "tcp" },
        { "bind_udp", "0.0.0.0", 22, "udp" },
        { "bind_udp", "::", 22, "udp" },
        { "bind", "0.0.0.0", 6000, "tcp" },     // the range's ends and middle
        { "bind", "0.0.0.0", 6100, "tcp" },
        { "bind_udp", "0.0.0.0", 6050, "udp" },
        { "bind", "::", 6050, "tcp" },
        { "i386_bind", "127.0.0.1", 22, "tcp" },
    };

    [Theory]
    [MemberData(nameof(InboundAttacks))]
    public void ListeningOnAListedPortWorksWithoutTheControl(string attack, string host, int port, string protocol)
    {
        _ = protocol;
        var r = Run($"{AttackCommand(attack, host, port)}", null);

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        AssertNoEvents(r, "portBlock");
    }

    [Theory]
    [MemberData(nameof(InboundAttacks))]
    public void ListeningOnAListedPortIsRefusedInEnforceMode(string attack, string host, int port, string protocol)
    {
        var r = Run($"{AttackCommand(attack, host, port)}", BlockPolicy("enforce"));

        Assert.Contains($"{attack} {Endpoint(host, port)}: EACCES", r.Stdout);
        AssertEvent(r, "portBlock", "blocked", attack == "i386_bind" ? null : "bind", local: Reported(host, port), protocol: protocol);
    }

    [Theory]
    [MemberData(nameof(InboundAttacks))]
    public void ListeningOnAListedPortIsReportedInAuditMode(string attack, string host, int port, string protocol)
    {
        var r = Run($"{AttackCommand(attack, host, port)}", BlockPolicy("audit"));

        Assert.Contains($"{attack} {Endpoint(host, port)}: ok", r.Stdout);
        AssertEvent(r, "portBlock", "detected", local: Reported(host, port), protocol: protocol);
    }

    [Fact]
    public void ARealServerCannotListenOnAListedPort()
    {
        // busybox's nc as a listener: the bind fails, nc says why and exits (were it let through,
        // timeout ends its wait for a client).
        string script = "timeout 10 nc -l -p 22 </dev/null; echo nc=$?";

        var r = Run(script, BlockPolicy("enforce"));

        Assert.Contains("Permission denied", r.Stderr);
        Assert.DoesNotContain("nc=0", r.Stdout);
        AssertEvent(r, "portBlock", "blocked", "bind", protocol: "tcp");
    }

    private static string AllowPolicy(string mode) => Policy($$"""
        portBlock:
          enabled: true
          mode: {{mode}}
          allowedInboundPorts: [8080, "9000-9010"]
          allowedOutboundPorts: [8080, 53]
        """);

    [Fact]
    public void AllowLists_OnlyTheListedPortsWork()
    {
        // Without the control: everything reaches its port (serve on 4444 and 8080).
        string attacks = $"""
            {Attack} connect 127.0.0.1 8080; {Attack} connect_nb ::1 8080; {Attack} udp_sendto 127.0.0.1 8080
            {Attack} connect 127.0.0.1 4444; {Attack} connect_nb 127.0.0.1 4444; {Attack} udp_sendto 127.0.0.1 4444; {Attack} sendmsg ::1 4444
            {Attack} bind 0.0.0.0 9005; {Attack} bind_udp :: 9010; {Attack} bind 0.0.0.0 22; {Attack} bind_udp 0.0.0.0 5353; {Attack} bind :: 9011
            """;
        var control = Run($"{Attack} serve 4444 8080 && {attacks}", null);
        foreach (string line in new[] { "connect 127.0.0.1:4444: ok", "connect_nb 127.0.0.1:4444: ok", "udp_sendto 127.0.0.1:4444: ok (answered)",
                     "sendmsg [::1]:4444: ok (answered)", "bind 0.0.0.0:22: ok", "bind_udp 0.0.0.0:5353: ok", "bind [::]:9011: ok" })
            Assert.Contains(line, control.Stdout);

        // Under the allow-lists serve may listen only on 8080: 4444 has no listener, so a
        // refusal by anything but the control would be ECONNREFUSED, not EACCES.
        var r = Run($"{Attack} serve 8080 && {attacks}", AllowPolicy("enforce"));

        Assert.Contains("serve: listening on 1 ports", r.Stdout);
        foreach (string line in new[]
        {
            "connect 127.0.0.1:8080: ok", "connect_nb [::1]:8080: ok", "udp_sendto 127.0.0.1:8080: ok",
            "connect 127.0.0.1:4444: EACCES", "connect_nb 127.0.0.1:4444: EACCES", "udp_sendto 127.0.0.1:4444: EACCES", "sendmsg [::1]:4444: EACCES",
            "bind 0.0.0.0:9005: ok", "bind_udp [::]:9010: ok",
            "bind 0.0.0.0:22: EACCES", "bind_udp 0.0.0.0:5353: EACCES", "bind [::]:9011: EACCES",
        })
            Assert.Contains(line, r.Stdout);
        AssertEvent(r, "portBlock", "blocked", "connect", remote: "127.0.0.1:4444", protocol: "tcp");
        AssertEvent(r, "portBlock", "blocked", "sendmsg", remote: "[::1]:4444", protocol: "udp");
        AssertEvent(r, "portBlock", "blocked", "bind", local: "0.0.0.0:22", protocol: "tcp");
        AssertEvent(r, "portBlock", "blocked", "bind", local: "0.0.0.0:5353", protocol: "udp");
        Assert.DoesNotContain(r.Events("portBlock", "blocked"), e => Field(e, "remote").EndsWith(":8080", StringComparison.Ordinal));
    }

    [Fact]
    public void AllowLists_InAuditMode_ReportOnlyTheUnlistedPorts()
    {
        string script = $"{Attack} serve 4444 8080 && {Attack} connect 127.0.0.1 8080; {Attack} connect 127.0.0.1 4444; {Attack} bind 0.0.0.0 22";

        var r = Run(script, AllowPolicy("audit"));

        Assert.Contains("connect 127.0.0.1:8080: ok", r.Stdout);
        Assert.Contains("connect 127.0.0.1:4444: ok", r.Stdout);
        Assert.Contains("bind 0.0.0.0:22: ok", r.Stdout);
        AssertEvent(r, "portBlock", "detected", "connect", remote: "127.0.0.1:4444");
        AssertEvent(r, "portBlock", "detected", "bind", local: "0.0.0.0:22");
        AssertEvent(r, "portBlock", "detected", "bind", local: "[::]:4444");   // serve's own listener, unlisted inbound
        Assert.DoesNotContain(r.Events("portBlock", "detected"), e => Field(e, "remote") == "127.0.0.1:8080");
    }

    // The address flipped between an allowed endpoint and a blocked one while the call runs:
    // mode (flip_thread, flip_process), protocol, allowed host and port, blocked host and port.
    public static TheoryData<string, string, string, int, string, int> Flips => new()
    {
        { "flip_thread", "tcp", "127.0.0.1", 8080, "127.0.0.1", 4444 },
        { "flip_process", "tcp", "127.0.0.1", 8080, "127.0.0.1", 4444 },
        { "flip_thread", "udp", "127.0.0.1", 8080, "127.0.0.1", 4444 },
        { "flip_process", "udp", "127.0.0.1", 8080, "127.0.0.1", 4444 },
        { "flip_thread", "tcp", "::1", 8080, "::1", 4444 },
        { "flip_process", "udp", "::ffff:127.0.0.1", 8080, "::ffff:127.0.0.1", 7005 },
    };

    [Theory]
    [MemberData(nameof(Flips))]
    public void TheFlipRaceReachesTheBlockedPortWithoutTheControl(string mode, string protocol, string allowedHost, int allowedPort, string blockedHost, int blockedPort)
    {
        var r = Run($"{Attack} {mode} {protocol} {allowedHost} {allowedPort} {blockedHost} {blockedPort}", null);

        FlipRace.Parse(r.Stdout, mode).AssertReachedTheBlockedEndpoint(mode);
    }

    [Theory]
    [MemberData(nameof(Flips))]
    public void TheFlipRaceNeverReachesTheBlockedPortInEnforceMode(string mode, string protocol, string allowedHost, int allowedPort, string blockedHost, int blockedPort)
    {
        var r = Run($"{Attack} {mode} {protocol} {allowedHost} {allowedPort} {blockedHost} {blockedPort}", BlockPolicy("enforce"));

        FlipRace.Parse(r.Stdout, mode).AssertNeverReachedTheBlockedEndpoint(mode);
        Assert.Equal(0, r.ExitCode);
        AssertEvent(r, "portBlock", "blocked", remote: Reported(blockedHost, blockedPort), protocol: protocol);
        // What was refused is what was read: no event names the allowed endpoint.
        Assert.DoesNotContain(r.Events("portBlock", "blocked"), e => Field(e, "remote") == Reported(allowedHost, allowedPort));
    }

    // Exec sessions (podman/kubectl exec) are brought under the same controls: a process entering
    // the running container from outside (nsenter, as runc exec does) connects like the workload.
    // The session waits until it is under enforcement, and until serve listens (8080 is 1F90 in
    // /proc/net/tcp6), without connecting anywhere first.
    private const string UntilUnderEnforcementAndServing =
        "while ! grep -qE 'TracerPid:[[:space:]]*[1-9]|NoNewPrivs:[[:space:]]*1' /proc/$$/status; do :; done; " +
        "while ! grep -q ':1F90 ' /proc/net/tcp6; do :; done; ";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnExecSessionIsUnderTheSameControl(bool enforce)
    {
        string[] workload = ["/bin/sh", "-c", $"{Attack} serve 4444 8080 && exec sleep 3600"];
        using RunningContainer container = enforce
            ? RunningContainer.Start(workload, image: ImageRootfs.WithNetworkTools, policy: BlockPolicy("enforce"))
            : RunningContainer.Start(workload, image: ImageRootfs.WithNetworkTools);
        var session = container.Enter("/bin/sh", "-c", UntilUnderEnforcementAndServing + "exec /bin/sh -c \"$0\"",
            $"{Attack} connect 127.0.0.1 4444; {Attack} udp_sendto 127.0.0.1 4444; {Attack} bind 0.0.0.0 22; {Attack} connect 127.0.0.1 8080");
        RunResult run = container.Stop();
        output.WriteLine($"session:\n{session.Stdout}\n{session.Stderr}\ncontainer:\n{run}");

        Assert.Contains("connect 127.0.0.1:8080: ok", session.Stdout);
        if (!enforce)
        {
            Assert.Contains("connect 127.0.0.1:4444: ok", session.Stdout);
            Assert.Contains("udp_sendto 127.0.0.1:4444: ok (answered)", session.Stdout);
            Assert.Contains("bind 0.0.0.0:22: ok", session.Stdout);
            return;
        }
        Assert.Contains("connect 127.0.0.1:4444: EACCES", session.Stdout);
        Assert.Contains("udp_sendto 127.0.0.1:4444: EACCES", session.Stdout);
        Assert.Contains("bind 0.0.0.0:22: EACCES", session.Stdout);
        AssertEvent(run, "portBlock", "blocked", "connect", remote: "127.0.0.1:4444");
        AssertEvent(run, "portBlock", "blocked", "bind", local: "0.0.0.0:22");
    }

    // `microenforcer exec` joins with the workload's filter, handing its listener to PID 1 with a
    // sendmsg the filter must let through (MSG_NOSIGNAL | MSG_PROBE): with the network gate on,
    // any other sendmsg is notified, and nobody could answer it yet.
    [Fact]
    public void AMicroenforcerExecSessionJoinsAndIsUnderTheSameControl()
    {
        string[] workload = ["/bin/sh", "-c", $"{Attack} serve 4444 8080 && exec sleep 3600"];
        using RunningContainer container = RunningContainer.Start(workload, image: ImageRootfs.WithNetworkTools, policy: BlockPolicy("enforce"));
        var session = container.Enter("/.microenforcer/microenforcer", "exec", "--", "/bin/sh", "-c",
            "while ! grep -q ':1F90 ' /proc/net/tcp6; do :; done; " + $"{Attack} connect 127.0.0.1 4444; {Attack} connect 127.0.0.1 8080; echo joined");
        RunResult run = container.Stop();
        output.WriteLine($"session:\n{session.Stdout}\n{session.Stderr}\ncontainer:\n{run}");

        Assert.Contains("joined", session.Stdout);
        Assert.Contains("connect 127.0.0.1:8080: ok", session.Stdout);
        Assert.Contains("connect 127.0.0.1:4444: EACCES", session.Stdout);
        AssertEvent(run, "portBlock", "blocked", "connect", remote: "127.0.0.1:4444");
    }
}
