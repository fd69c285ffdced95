using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// File Block and Read-Only in exec sessions, with real `podman exec` sessions (seized by PID 1
/// and injected by ptrace, the rule set fetched from PID 1's courier socket) and `microenforcer
/// exec` (the rule set sent with the filter). /etc/shadow is blocked and /etc read-only; every
/// attempt is also made under a policy without file controls, where it works: only the rule set
/// stops it. Drift prevention is off so that the test programs, mounted at start, run: the file
/// controls are what is tested. This worktree's binary is mounted over the image's.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class ExecSessionFileTests
{
    private const string Enforcer = "/.microenforcer/microenforcer";
    private const string Programs = "/.microenforcer-tests";
    private const string Evil = "evil:x:0:0::/:/bin/sh";

    private const string FileControls = """
          fileBlock: {enabled: true, files: [/etc/shadow, {path: /usr/bin/id, block: [exec]}]}
          readOnly: {enabled: true, paths: [/etc]}
        """;

    // The workload tries the same before it becomes nginx, and leaves what happened in /tmp.
    private const string WorkloadProbe =
        "cat /etc/shadow >/dev/null 2>/tmp/workload.err; echo \"shadow=$?\" >/tmp/workload.txt; " +
        "(echo " + Evil + " >> /etc/passwd) 2>>/tmp/workload.err; echo \"passwd=$?\" >>/tmp/workload.txt; " +
        "exec nginx -g 'daemon off;'";

    public ExecSessionFileTests(PodmanImages images) => _ = images; // the fixture builds the images

    private sealed class Scenario : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-sessionfiles-").FullName;

        public Scenario(string controls)
        {
            string programs = Path.Combine(_dir, "programs");
            Directory.CreateDirectory(programs);
            string sources = Path.Combine(AppContext.BaseDirectory, "TestPrograms");
            ProcessRunner.Check("gcc", "-static", "-O2", "-o", Path.Combine(programs, "forge_ruleset"), Path.Combine(sources, "forge_ruleset.c"));
            ProcessRunner.Check("as", "--32", "-o", Path.Combine(_dir, "cat32.o"), Path.Combine(sources, "cat32.s"));
            ProcessRunner.Check("ld", "-m", "elf_i386", "-o", Path.Combine(programs, "cat32"), Path.Combine(_dir, "cat32.o"));
            File.WriteAllText(Path.Combine(_dir, "policy.yaml"), $$"""
                apiVersion: microenforcer.dev/v1
                kind: RuntimePolicy
                metadata: { name: session-files }
                spec:
                  mode: enforce
                  driftPrevention: {enabled: false}
                {{controls}}
                """);
            Container = PodmanContainer.Start(PodmanImages.NginxSample,
                ["--cap-add", "SYS_PTRACE", "-v", $"{Prerequisites.EnforcerBinary}:{Enforcer}:ro", "-v", $"{_dir}:/.microenforcer-policy:ro",
                 "-v", $"{programs}:{Programs}:ro",
                 "--entrypoint", $"[\"{Enforcer}\", \"run\", \"--policy\", \"/.microenforcer-policy/policy.yaml\", \"--\"]"],
                ["sh", "-c", WorkloadProbe], publishHttp: true);
            Container.Page(); // started and serving: the workload's probe is done
        }

        public PodmanContainer Container { get; }

        /// <summary>A command as `podman exec` runs it, and through the wrapper.</summary>
        public (ProcessRunner.Result Exec, ProcessRunner.Result Wrapper) Both(params string[] command) =>
            (Container.Exec(command), Container.Exec([Enforcer, "exec", "--", .. command]));

        /// <summary>A file of the container, read with `podman cp` (which runs nothing in it).</summary>
        public string Read(string path)
        {
            string target = Path.Combine(_dir, "copied-" + Path.GetFileName(path));
            File.Delete(target);
            Container.CopyOut(path, target);
            return File.ReadAllText(target);
        }

        public void Dispose()
        {
            Container?.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static string Show(string what, ProcessRunner.Result r) => $"--- {what}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}\n";

    [Fact]
    public void Enforce_PodmanExecAndTheWrapper_CannotReadTheBlockedFileNorChangeEtc_NorCanTheWorkload()
    {
        using var scenario = new Scenario(FileControls);

        var shadow = scenario.Both("cat", "/etc/shadow");
        var append = scenario.Both("sh", "-c", $"echo '{Evil}' >> /etc/passwd");
        var useradd = scenario.Both("useradd", "-o", "-u", "0", "evil2");
        var hostname = scenario.Both("cat", "/etc/hostname");
        var id = scenario.Both("sh", "-c", "id; echo \"id=$?\"");
        string passwd = scenario.Read("/etc/passwd");
        string workload = scenario.Read("/tmp/workload.txt");
        var logs = scenario.Container.WaitForLogs(l => l.EventsFor("fileBlock", "/usr/bin/id").Select(e => e.GetProperty("pid").GetInt32()).Distinct().Count() >= 2
            && l.EventsFor("fileBlock", "/etc/shadow").Count() >= 3 && l.EventsFor("readOnly", "/etc/passwd").Count() >= 3, TimeSpan.FromSeconds(5));
        string seen = Show("exec cat /etc/shadow", shadow.Exec) + Show("wrapper cat /etc/shadow", shadow.Wrapper)
            + Show("exec append", append.Exec) + Show("wrapper append", append.Wrapper)
            + Show("exec useradd", useradd.Exec) + Show("wrapper useradd", useradd.Wrapper)
            + Show("exec cat /etc/hostname", hostname.Exec) + Show("wrapper cat /etc/hostname", hostname.Wrapper)
            + Show("exec id", id.Exec) + Show("wrapper id", id.Wrapper)
            + $"--- /tmp/workload.txt\n{workload}\n{logs}";

        foreach (var (what, r) in new[] { ("podman exec", shadow.Exec), ("the wrapper", shadow.Wrapper) })
        {
            Assert.True(r.ExitCode == 1 && r.Stderr.Contains("/etc/shadow: Permission denied", StringComparison.Ordinal),
                $"{what}: cat /etc/shadow was not refused\n{seen}");
            Assert.False(r.Stdout.Contains("root:", StringComparison.Ordinal), $"{what}: /etc/shadow was read\n{seen}");
        }
        foreach (var (what, r) in new[] { ("podman exec", append.Exec), ("the wrapper", append.Wrapper) })
            Assert.True(r.ExitCode != 0 && r.Stderr.Contains("Permission denied", StringComparison.Ordinal), $"{what}: the append to /etc/passwd was not refused\n{seen}");
        Assert.True(useradd.Exec.ExitCode != 0 && useradd.Wrapper.ExitCode != 0, $"useradd succeeded\n{seen}");
        Assert.False(passwd.Contains("evil", StringComparison.Ordinal), $"/etc/passwd was changed\n{seen}");
        // Reading the rest of /etc is left alone, and the sessions ran (they were not killed).
        Assert.True(hostname.Exec.ExitCode == 0 && hostname.Wrapper.ExitCode == 0, $"reading /etc/hostname failed\n{seen}");
        Assert.Contains("shadow=1", workload);
        Assert.DoesNotContain("passwd=0", workload);
        // The seed scenario's audit: each refused read of the shadow file and each refused change
        // of /etc/passwd is an event (the workload's, and the two sessions' of each), blocked.
        var shadowEvents = logs.EventsFor("fileBlock", "/etc/shadow").ToList();
        var passwdEvents = logs.EventsFor("readOnly", "/etc/passwd").ToList();
        Assert.True(shadowEvents.Select(e => e.GetProperty("pid").GetInt32()).Distinct().Count() >= 3
            && shadowEvents.All(e => e.GetProperty("action").GetString() == "blocked"), $"the refused reads of /etc/shadow were not audited\n{seen}");
        Assert.True(passwdEvents.Select(e => e.GetProperty("pid").GetInt32()).Distinct().Count() >= 3
            && passwdEvents.All(e => e.GetProperty("action").GetString() == "blocked"), $"the refused changes of /etc/passwd were not audited\n{seen}");
        // An exec refused in a session is audited; nothing was killed.
        Assert.True(id.Exec.Stdout.Contains("id=126", StringComparison.Ordinal) && id.Wrapper.Stdout.Contains("id=126", StringComparison.Ordinal),
            $"the blocked exec was not refused\n{seen}");
        var refused = logs.EventsFor("fileBlock", "/usr/bin/id").ToList();
        // One session each (sh tries each PATH entry: /usr/bin/id, then /bin/id).
        Assert.True(refused.Select(e => e.GetProperty("pid").GetInt32()).Distinct().Count() == 2 && refused.All(e => e.GetProperty("action").GetString() == "blocked"),
            $"the refused execs were not audited as blocked\n{seen}");
        Assert.DoesNotContain(logs.AuditEvents, e => e.GetProperty("action").GetString() == "killed");
        Assert.Contains("is enforced: filter injected", logs.Stderr);
    }

    [Fact]
    public void WithoutFileControls_EachOfTheseWorks()
    {
        using var scenario = new Scenario("");

        var shadow = scenario.Both("cat", "/etc/shadow");
        var append = scenario.Both("sh", "-c", $"echo '{Evil}' >> /etc/passwd");
        var useradd = scenario.Both("useradd", "-o", "-u", "0", "evil2");
        var compat = scenario.Container.Exec($"{Programs}/cat32");
        var id = scenario.Both("sh", "-c", "id; echo \"id=$?\"");
        string passwd = scenario.Read("/etc/passwd");
        string workload = scenario.Read("/tmp/workload.txt");
        var logs = scenario.Container.Logs();
        string seen = Show("exec cat /etc/shadow", shadow.Exec) + Show("wrapper cat /etc/shadow", shadow.Wrapper)
            + Show("exec append", append.Exec) + Show("wrapper append", append.Wrapper)
            + Show("exec useradd", useradd.Exec) + Show("wrapper useradd", useradd.Wrapper) + Show("cat32", compat)
            + Show("exec id", id.Exec) + Show("wrapper id", id.Wrapper)
            + $"--- /tmp/workload.txt\n{workload}\n--- /etc/passwd\n{passwd}\n{logs}";

        Assert.True(shadow.Exec.ExitCode == 0 && shadow.Exec.Stdout.Contains("root:", StringComparison.Ordinal), seen);
        Assert.True(shadow.Wrapper.ExitCode == 0 && shadow.Wrapper.Stdout.Contains("root:", StringComparison.Ordinal), seen);
        Assert.True(append.Exec.ExitCode == 0 && append.Wrapper.ExitCode == 0, seen);
        Assert.True(useradd.Exec.ExitCode == 0, seen);
        Assert.Contains("evil2:", passwd);
        Assert.Contains(Evil, passwd);
        Assert.True(compat.ExitCode == 0 && compat.Stdout.Contains("root:", StringComparison.Ordinal), $"the 32-bit cat did not read /etc/shadow\n{seen}");
        Assert.True(id.Exec.Stdout.Contains("id=0", StringComparison.Ordinal) && id.Wrapper.Stdout.Contains("id=0", StringComparison.Ordinal), seen);
        Assert.Contains("shadow=0", workload);
        Assert.Contains("passwd=0", workload);
    }

    [Fact]
    public void Enforce_A32BitSessionIsKilledBeforeItRuns()
    {
        // Its filter and rule set cannot be injected; left traced (as without file controls) it
        // would read the blocked file.
        using var scenario = new Scenario(FileControls);

        var compat = scenario.Container.Exec($"{Programs}/cat32");
        var logs = scenario.Container.WaitForLogs(l => l.EventsFor("fileBlock", $"{Programs}/cat32").Any(), TimeSpan.FromSeconds(5));
        string seen = Show("cat32", compat) + logs;

        Assert.False(compat.Stdout.Contains("root:", StringComparison.Ordinal), $"the 32-bit session read /etc/shadow\n{seen}");
        Assert.True(compat.ExitCode == 137, $"the 32-bit session was not killed\n{seen}");
        JsonElement killed = Assert.Single(logs.EventsFor("fileBlock", $"{Programs}/cat32"));
        Assert.Equal("killed", killed.GetProperty("action").GetString());
        Assert.Contains("32-bit", killed.GetProperty("reason").GetString());
    }

    [Fact]
    public void Enforce_ARuleSetSentToASessionsSocketByAnotherProcessIsRefused()
    {
        // An attacker in the container watches /proc/net/unix for the sockets sessions bind to
        // receive the rule set, and sends each one a rule set of its own; meanwhile sessions come
        // and go. Its control line proves the same send reaches a socket not connected first.
        using var scenario = new Scenario(FileControls);

        var attacker = scenario.Container.Exec("sh", "-c", $"{Programs}/forge_ruleset 25 > /tmp/forge.txt 2>&1 &");
        var sessions = new List<ProcessRunner.Result>();
        string[] sends = [];
        string forged = "";
        for (int i = 0; i < 40 && !sends.Any(line => line.EndsWith(" 1", StringComparison.Ordinal)); i++)
        {
            sessions.Add(scenario.Container.Exec("cat", "/etc/shadow"));
            forged = scenario.Read("/tmp/forge.txt");
            sends = [.. forged.Split('\n').Where(line => line.StartsWith("session ", StringComparison.Ordinal))];
        }
        string seen = Show("attacker", attacker) + string.Concat(sessions.Select((r, i) => Show($"session {i}", r))) + $"--- /tmp/forge.txt\n{forged}\n";

        Assert.True(attacker.ExitCode == 0, seen);
        Assert.Contains("self 0", forged);
        // EPERM (1): the socket is connected to the courier. ECONNREFUSED (111): the attacker read
        // the name just before the session closed it. Never 0: delivered.
        Assert.True(sends.Any(line => line.EndsWith(" 1", StringComparison.Ordinal)), $"the attacker never reached a session's socket in 40 sessions\n{seen}");
        Assert.All(sends, line => Assert.True(line.EndsWith(" 1", StringComparison.Ordinal) || line.EndsWith(" 111", StringComparison.Ordinal), $"{line}\n{seen}"));
        Assert.All(sessions, r => Assert.True(r.ExitCode == 1 && r.Stderr.Contains("Permission denied", StringComparison.Ordinal), seen));
    }
}
