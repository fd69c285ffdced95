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

    private RunResult Run(string script, string? policy)
    {
        var r = Container.Run(["/bin/sh", "-c", script], policy);
        output.WriteLine(r.ToString());
        return r;
    }

    [Fact]
    public void AnAllowedTcpConnectionCarriesData_AndABlockedPortIsRefused()
    {
        var r = Run("(echo hello-through | nc -l -p 8080 > /tmp/got) & sleep 0.3; echo ping | nc 127.0.0.1 8080; echo rc=$?; "
            + "nc 127.0.0.1 4444 </dev/null; echo blocked=$?; wait; cat /tmp/got",
            Policy("enforce", "    outboundPorts: [4444]"));

        Assert.Contains("hello-through", r.Stdout);
        Assert.Contains("rc=0", r.Stdout);
        Assert.Contains("ping", r.Stdout);
        Assert.DoesNotContain("blocked=0", r.Stdout);
        var e = Assert.Single(r.Events("portBlock", "blocked"));
        Assert.Equal("127.0.0.1:4444", e.GetProperty("remote").GetString());
        Assert.Equal("connect", e.GetProperty("syscall").GetString());
    }

    [Fact]
    public void AListedInboundPortCannotBeListenedOn()
    {
        var r = Run("nc -l -p 2222 </dev/null; echo listen=$?; (nc -l -p 8081 </dev/null >/tmp/got) & sleep 0.3; echo x | nc 127.0.0.1 8081; wait; cat /tmp/got",
            Policy("enforce", "    inboundPorts: [\"2000-2999\"]"));

        Assert.DoesNotContain("listen=0", r.Stdout);
        Assert.Contains("x", r.Stdout.Split('\n').Last(l => l.Length > 0));
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
            + "(echo served | nc -l -p 8080 >/dev/null) & sleep 0.3; nc 127.0.0.1 8080 </dev/null; /bin/busybox true && echo others-ran; "
            + "kill $(sed -n 's/^holding //p' /tmp/hold); wait";

        var r = NetworkRun.Run(output, script, Policy("enforce", "    outboundPorts: [4444]"));

        Assert.Contains("holding", r.Stdout);
        Assert.Contains("served", r.Stdout);
        Assert.Contains("others-ran", r.Stdout);
        Assert.DoesNotContain("the blocking connect returned", r.Stdout);   // it was still waiting: the test tested what it says
    }
}
