using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// The network gate itself, through Port Block with busybox's nc on the container's own
/// loopback: PID 1 performs the judged calls, so what is not refused must work exactly as
/// without the enforcer (blocking and non-blocking connects, UDP, listeners).
/// </summary>
public sealed class NetworkGateTests(ITestOutputHelper output)
{
    private static string Policy(string mode, string fields) => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          portBlock:
            enabled: true
            mode: {{mode}}
        {{fields}}
        """;

    // The scripts never have a child of the shell exit while the shell forks: a SIGCHLD landing in
    // a notified fork fails it with EINTR (docs/limits.md, "Signals and notified calls"). The
    // servers are net_attack's, which detach from the shell once bound.

    [Fact]
    public void AnAllowedTcpConnectionCarriesData_AndABlockedPortIsRefused()
    {
        var r = NetworkRun.Run(output, $"{NetworkRun.Attack} serve 8080 && echo hello-through > /tmp/h && nc 127.0.0.1 8080 < /tmp/h; echo rc=$?; "
            + $"{NetworkRun.Attack} connect 127.0.0.1 4444; echo done",
            Policy("enforce", "    outboundPorts: [4444]"));

        Assert.Contains("ack hello-through", r.Stdout);   // served, through a connect PID 1 performed
        Assert.Contains("rc=0", r.Stdout);
        Assert.Contains("connect 127.0.0.1:4444: EACCES", r.Stdout);
        var e = Assert.Single(r.Events("portBlock", "blocked"));
        Assert.Equal("127.0.0.1:4444", e.GetProperty("remote").GetString());
        Assert.Equal("connect", e.GetProperty("syscall").GetString());
    }

    [Fact]
    public void AListedInboundPortCannotBeListenedOn()
    {
        var r = NetworkRun.Run(output, $"nc -l -p 2222 </dev/null; echo listen=$?; {NetworkRun.Attack} bind 0.0.0.0 8081; echo done",
            Policy("enforce", "    inboundPorts: [\"2000-2999\"]"));

        Assert.Contains("listen=1", r.Stdout);
        Assert.Contains("bind 0.0.0.0:8081: ok", r.Stdout);
        var e = Assert.Single(r.Events("portBlock", "blocked"));
        Assert.Contains(e.GetProperty("local").GetString(), new[] { "0.0.0.0:2222", "[::]:2222" });
    }

    [Fact]
    public void ABlockingConnectThatWaitsHoldsUpNothingElse()
    {
        // PID 1 performs a blocking connect on a worker thread, not on the notify loop: while
        // one waits for a SYN that is dropped (minutes), other processes still fork, exec and
        // connect. Were it on the loop, nothing after "holding" would ever run.
        string script = $"{NetworkRun.Attack} hold 7000 > /tmp/hold; cat /tmp/hold; "
            + $"{NetworkRun.Attack} serve 8080 && echo served > /tmp/s && nc 127.0.0.1 8080 < /tmp/s; /bin/busybox true && echo others-ran; "
            + "kill $(sed -n 's/^holding //p' /tmp/hold)";

        var r = NetworkRun.Run(output, script, Policy("enforce", "    outboundPorts: [4444]"));

        Assert.Contains("holding", r.Stdout);
        Assert.Contains("ack served", r.Stdout);
        Assert.Contains("others-ran", r.Stdout);
        Assert.DoesNotContain("the blocking connect returned", r.Stdout);   // it was still waiting: the test tested what it says
    }
}
