using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;
using static MicroEnforcer.IntegrationTests.Network.NetworkRun;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// Forensics: process starts and exits with their fields, a connect, a listen and accepted
/// connections reported, accepts and connects under load aggregated with counts that add up
/// exactly, and nothing at all when the control is off.
/// </summary>
public sealed class ForensicsTests(ITestOutputHelper output)
{
    private static string On(int aggregateAfter = 20) => Policy($"""
        forensics:
          enabled: true
          aggregateAfter: {aggregateAfter}
          intervalSeconds: 5
        """);

    private const string Serve = Attack + " serve 4444";

    private static List<JsonElement> Observed(RunResult r, string eventName) =>
        [.. r.Events("forensics", "observed").Where(e => e.GetProperty("forensics").GetProperty("event").GetString() == eventName)];

    private static string Facts(JsonElement e, string name) => Field(e.GetProperty("forensics"), name);

    private static int Number(JsonElement e, string name) => e.GetProperty(name).GetInt32();

    [Fact]
    public void TheWorkloadsStartAndExitAreReportedWithTheirFields()
    {
        var r = Container.Run(["/bin/sh", "-c", "sleep 0.2; exit 3"], On(), image: ImageRootfs.WithNetworkTools);
        output.WriteLine(r.ToString());
        Assert.Equal(3, r.ExitCode);

        JsonElement start = Assert.Single(Observed(r, "process-start"), e => Field(e, "cmdline") == "/bin/sh -c sleep 0.2; exit 3");
        int pid = Number(start, "pid");
        Assert.Equal("audit", Field(start, "mode"));
        Assert.Equal("/bin/busybox", Field(start, "path"));
        Assert.Equal(0, Number(start, "uid"));
        Assert.Equal(1, Number(start, "ppid"));   // PID 1's child
        Assert.Equal("/", Facts(start, "cwd"));

        JsonElement exit = Assert.Single(Observed(r, "process-exit"), e => Number(e, "pid") == pid);
        Assert.Equal("exited", Facts(exit, "exit"));
        Assert.Equal(3, exit.GetProperty("forensics").GetProperty("exitCode").GetInt32());
        Assert.True(exit.GetProperty("forensics").GetProperty("lifetimeMs").GetInt64() >= 200, exit.ToString());
        Assert.Equal("/bin/sh -c sleep 0.2; exit 3", Field(exit, "cmdline"));
    }

    [Fact]
    public void AChildsStartNamesItsParentAndCwdAndItsExitIsReported()
    {
        var r = NetworkRun.Run(output, "cd /tmp && /bin/sh -c 'exit 4'; echo status $?", On());
        Assert.Contains("status 4", r.Stdout);

        JsonElement outer = Assert.Single(Observed(r, "process-start"), e => Field(e, "cmdline").StartsWith("/bin/sh -c cd /tmp", StringComparison.Ordinal));
        JsonElement inner = Assert.Single(Observed(r, "process-start"), e => Field(e, "cmdline") == "/bin/sh -c exit 4");
        Assert.Equal(Number(outer, "pid"), Number(inner, "ppid"));
        Assert.Equal("/tmp", Facts(inner, "cwd"));
        // Its parent, not PID 1, reaps it: the status is read through its pidfd once reaped (or
        // from /proc while it is a zombie).
        JsonElement exit = Assert.Single(Observed(r, "process-exit"), e => Number(e, "pid") == Number(inner, "pid"));
        Assert.Equal("exited", Facts(exit, "exit"));
        Assert.Equal(4, exit.GetProperty("forensics").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void AListenAConnectAndTheAcceptedConnectionAreReported()
    {
        var r = NetworkRun.Run(output, $"{Serve} && {Attack} connect 127.0.0.1 4444 && echo hello | nc 127.0.0.1 4444", On());
        Assert.Contains("connect 127.0.0.1:4444: ok", r.Stdout);
        Assert.Contains("ack hello", r.Stdout);   // the accepted connection PID 1 handed over works both ways

        JsonElement listen = AssertEvent(r, "forensics", "observed", syscall: "listen", local: "[::]:4444", protocol: "tcp");
        Assert.Equal("listen", Facts(listen, "event"));
        Assert.Equal(Attack, Field(listen, "path"));
        AssertEvent(r, "forensics", "observed", syscall: "bind", local: "[::]:4444", protocol: "udp");   // a UDP server's bind

        JsonElement connect = AssertEvent(r, "forensics", "observed", syscall: "connect", remote: "127.0.0.1:4444", protocol: "tcp");
        Assert.Equal(("connect", "ok"), (Facts(connect, "event"), Facts(connect, "result")));
        Assert.Equal(Attack, Field(connect, "path"));
        Assert.StartsWith("127.0.0.1:", Field(connect, "local"));

        var accepts = Observed(r, "accept");
        Assert.Equal(2, accepts.Count);   // net_attack's and nc's
        Assert.All(accepts, a => Assert.Equal(("127.0.0.1:4444", "tcp", Attack), (Field(a, "local"), Field(a, "protocol"), Field(a, "path"))));
        Assert.Contains(accepts, a => Field(a, "remote") == Field(connect, "local"));   // the peer is the connecting socket
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnAcceptPerformedByPid1ReturnsWhatTheKernelsWould(bool forensics)
    {
        // A non-blocking listener: accept4's flags, the peer address (also into a short buffer), EAGAIN.
        var r = NetworkRun.Run(output, "/opt/tests/accept_check", forensics ? On() : null);
        Assert.Contains("accept_check: ok", r.Stdout);
        Assert.Equal(forensics ? 2 : 0, Observed(r, "accept").Count);
    }

    [Fact]
    public void UnderLoadAcceptsAndConnectsAreAggregatedAndTheCountsAddUp()
    {
        const int Connections = 2000;
        // nc's exchange comes after every connect_many connection in serve's accept queue: once
        // it is answered, serve has accepted all of them.
        var r = NetworkRun.Run(output, $"{Serve} && {Attack} connect_many 127.0.0.1 4444 {Connections} && echo last | nc 127.0.0.1 4444", On(aggregateAfter: 10));
        Assert.Contains($"connect_many 127.0.0.1:4444: {Connections} ok, 0 failed", r.Stdout);
        Assert.Contains("ack last", r.Stdout);

        var forensics = r.Events("forensics", "observed").ToList();
        Assert.All(Observed(r, "process-exit"), e => Assert.NotEqual("unknown", Facts(e, "exit")));
        Assert.True(forensics.Count < 100, $"{forensics.Count} forensics events");

        int individualAccepts = Observed(r, "accept").Count;
        var acceptAggregates = Observed(r, "connections").Where(e => Field(e, "syscall") == "accept").ToList();
        Assert.NotEmpty(acceptAggregates);
        Assert.All(acceptAggregates, a => Assert.Equal("127.0.0.1:4444", Field(a, "local")));
        Assert.Equal(Connections + 1, individualAccepts + acceptAggregates.Sum(a => Number(a, "count")));
        Assert.Contains("127.0.0.1", acceptAggregates[0].GetProperty("forensics").GetProperty("remotes").EnumerateArray().Select(v => v.GetString()));

        // connect_many's connects: per process, counted the same way.
        var connects = Observed(r, "connect").Where(e => Field(e, "path") == Attack).ToList();
        int pid = Number(connects[0], "pid");
        var connectAggregates = Observed(r, "connections").Where(e => Field(e, "syscall") == "connect" && Number(e, "pid") == pid).ToList();
        Assert.Equal(Connections, connects.Count(e => Number(e, "pid") == pid) + connectAggregates.Sum(a => Number(a, "count")));
    }

    [Fact]
    public void OffByDefaultNothingIsReported()
    {
        var r = NetworkRun.Run(output, $"{Serve} && {Attack} connect 127.0.0.1 4444 && echo hello | nc 127.0.0.1 4444; sh -c 'exit 3'", null);
        Assert.Contains("ack hello", r.Stdout);
        AssertNoEvents(r, "forensics");
    }
}
