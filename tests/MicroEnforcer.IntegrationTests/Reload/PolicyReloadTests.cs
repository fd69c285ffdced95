using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Reload;

/// <summary>
/// `run --policy FILE` while the workload runs: the file is changed from outside the way users and
/// Kubernetes change it (an editor's rename over the file, a ConfigMap volume's symlink swap, a
/// broken save), and the workload's next exec is decided under the new policy, or, for a broken
/// one, still under the old. The workload is a shell that runs step scripts the test drops into
/// its /tmp, so every decision is the workload's own (the notify loop's), not an exec session's.
/// </summary>
public sealed class PolicyReloadTests
{
    private const string Ran = "hello from the image";

    // Runs /tmp/stepN when it appears (renamed into place whole), writes its output and status.
    private const string StepRunner =
        "i=0; while :; do if [ -f /tmp/step$i ]; then sh /tmp/step$i >/tmp/out$i 2>&1; echo $? >/tmp/rc.tmp$i; mv /tmp/rc.tmp$i /tmp/rc$i; i=$((i+1)); fi; sleep 0.05; done";

    private static string Policy(string driftMode, string blocked = "[]", string extra = "") => $"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        metadata:
          name: reload-test
        spec:
          driftPrevention:
            mode: {driftMode}
          executablesBlocked:
            enabled: true
            executables: {blocked}
        {extra}
        """;

    private sealed class Workload : IDisposable
    {
        /// <summary>Where the policy volume is mounted (read-only) in the container.</summary>
        public const string VolumePath = "/etc/config";

        private int _steps;

        /// <param name="layout">Writes the volume's files (the host directory is given); by default policy.yaml holds <paramref name="policy"/>.</param>
        public Workload(string policy, Action<string>? layout = null)
        {
            Prerequisites.Require();
            Volume = Directory.CreateTempSubdirectory("microenforcer-policy-volume-").FullName;
            if (layout is null)
                File.WriteAllText(Path.Combine(Volume, "policy.yaml"), policy);
            else
                layout(Volume);
            Running = RunningContainer.Start(["/bin/sh", "-c", StepRunner], ["--policy", VolumePath + "/policy.yaml"], readyLine: "workload started",
                readOnlyVolume: (Volume, VolumePath));
        }

        public RunningContainer Running { get; }

        /// <summary>The policy volume's directory on the host: changes are made there, as the kubelet makes them.</summary>
        public string Volume { get; }

        /// <summary>Has the workload run <paramref name="script"/>; returns its exit status and output.</summary>
        public (int Status, string Output) Step(string script)
        {
            int n = _steps++;
            File.WriteAllText(Running.HostPath($"/tmp/step.tmp{n}"), script);
            File.Move(Running.HostPath($"/tmp/step.tmp{n}"), Running.HostPath($"/tmp/step{n}"));
            var clock = Stopwatch.StartNew();
            string rc = Running.HostPath($"/tmp/rc{n}");
            while (!File.Exists(rc))
            {
                Assert.True(clock.ElapsedMilliseconds < 30_000, $"step {n} never finished; stderr:\n{Running.Stderr}");
                Thread.Sleep(20);
            }
            return (int.Parse(File.ReadAllText(rc).Trim(), System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Running.HostPath($"/tmp/out{n}")));
        }

        /// <summary>Replaces the policy file as editors do: a new file renamed over it.</summary>
        public void SavePolicy(string text)
        {
            string temporary = Path.Combine(Volume, ".policy.yaml.swp");
            File.WriteAllText(temporary, text);
            File.Move(temporary, Path.Combine(Volume, "policy.yaml"), overwrite: true);
        }

        /// <summary>Waits until the log holds <paramref name="count"/> lines containing <paramref name="text"/>.</summary>
        public void WaitForLogCount(string text, int count)
        {
            var clock = Stopwatch.StartNew();
            while (Occurrences(Running.Stderr, text) < count)
            {
                Assert.True(clock.ElapsedMilliseconds < 30_000, $"the log never had {count} × '{text}'; stderr:\n{Running.Stderr}");
                Thread.Sleep(20);
            }
        }

        public void Dispose()
        {
            Running.Dispose();
            Directory.Delete(Volume, recursive: true);
        }

        private static int Occurrences(string text, string what)
        {
            int n = 0;
            for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
                n++;
            return n;
        }
    }

    private static string Sha256(string text) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static JsonElement Reload(JsonElement e) => e.GetProperty("reload");

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(v => v.GetString()!);

    [Fact]
    public void DriftPrevention_SwitchedFromAuditToEnforce_BlocksTheNextDriftedExec()
    {
        string audit = Policy("audit"), enforce = Policy("enforce");
        using var workload = new Workload(audit);

        var before = workload.Step("cp /opt/tests/hello /tmp/d1; /tmp/d1");
        workload.SavePolicy(enforce);
        workload.WaitForLogCount("policy reloaded from", 1);
        var after = workload.Step("cp /opt/tests/hello /tmp/d2; /tmp/d2");
        RunResult run = workload.Running.Stop();

        Assert.Equal(0, before.Status);
        Assert.Contains(Ran, before.Output);
        Assert.Equal(126, after.Status);
        Assert.DoesNotContain(Ran, after.Output);
        Assert.Equal("/tmp/d1", Assert.Single(run.Events("drift", "detected")).GetProperty("path").GetString());
        Assert.Equal("/tmp/d2", Assert.Single(run.Events("drift", "blocked")).GetProperty("path").GetString());
        JsonElement reload = Reload(Assert.Single(run.Events("policyReload", "observed")));
        Assert.Equal("applied", reload.GetProperty("result").GetString());
        Assert.Equal(Sha256(audit), reload.GetProperty("oldHash").GetString());
        Assert.Equal(Sha256(enforce), reload.GetProperty("newHash").GetString());
        Assert.Equal(["driftPrevention"], Strings(reload.GetProperty("applied")));
        Assert.Empty(Strings(reload.GetProperty("pending")));
    }

    [Fact]
    public void AnExecSession_AfterTheReload_IsDecidedUnderTheNewPolicy()
    {
        // kubectl exec after a ConfigMap edit: the session gets the running generation's decisions.
        using var workload = new Workload(Policy("audit"));
        Assert.Equal(0, workload.Running.Enter("/bin/cp", "/opt/tests/hello", "/tmp/drifted").ExitCode);

        workload.SavePolicy(Policy("enforce"));
        workload.WaitForLogCount("policy reloaded from", 1);
        var session = workload.Running.Enter("/bin/sh", "-c",
            "while ! grep -qE 'TracerPid:[[:space:]]*[1-9]|NoNewPrivs:[[:space:]]*1' /proc/$$/status; do :; done; /tmp/drifted; echo rc=$?");
        RunResult run = workload.Running.Stop();

        // Refused at its execve once the session carries the filter (126), or killed at the exec
        // event while it is still only traced (137): enforced either way, never run.
        Assert.DoesNotContain(Ran, session.Stdout);
        Assert.True(session.Stdout.Contains("rc=126", StringComparison.Ordinal) || session.Stdout.Contains("rc=137", StringComparison.Ordinal), session.Stdout);
        var stopped = Assert.Single(run.AuditEvents, e => e.GetProperty("path").GetString() == "/tmp/drifted");
        Assert.Contains(stopped.GetProperty("action").GetString(), new[] { "blocked", "killed" });
        Assert.Equal("enforce", stopped.GetProperty("mode").GetString());
    }

    [Fact]
    public void ExecutablesBlocked_AnEntryAdded_BlocksItFromTheNextExec()
    {
        using var workload = new Workload(Policy("enforce", blocked: "[\"/opt/tests/nothing-here\"]"));

        var before = workload.Step("/opt/tests/hello");
        workload.SavePolicy(Policy("enforce", blocked: "[\"/opt/tests/nothing-here\", \"/opt/tests/hello\"]"));
        workload.WaitForLogCount("policy reloaded from", 1);
        var after = workload.Step("/opt/tests/hello");
        RunResult run = workload.Running.Stop();

        Assert.Equal(0, before.Status);
        Assert.Equal(126, after.Status);
        Assert.Equal("/opt/tests/hello", Assert.Single(run.Events("executablesBlocked", "blocked")).GetProperty("path").GetString());
        Assert.Equal(["executablesBlocked"], Strings(Reload(Assert.Single(run.Events("policyReload", "observed"))).GetProperty("applied")));
    }

    [Fact]
    public void ABrokenPolicy_IsRefusedWithEveryError_AndTheRunningOneStaysInForce_UntilAGoodOneComes()
    {
        string audit = Policy("audit");
        string broken = Policy("enforc", extra: "  noSuchControl: {}");
        string enforce = Policy("enforce");
        using var workload = new Workload(audit);

        workload.SavePolicy(broken);
        workload.WaitForLogCount("was refused", 1);
        var underBroken = workload.Step("cp /opt/tests/hello /tmp/d1; /tmp/d1");
        workload.SavePolicy(enforce);
        workload.WaitForLogCount("policy reloaded from", 1);
        var underGood = workload.Step("cp /opt/tests/hello /tmp/d2; /tmp/d2");
        RunResult run = workload.Running.Stop();

        Assert.Equal(0, underBroken.Status);   // still audit: the broken file changed nothing
        Assert.Equal(126, underGood.Status);
        var reloads = run.Events("policyReload", "observed").Select(Reload).ToList();
        Assert.Equal(2, reloads.Count);
        Assert.Equal("rejected", reloads[0].GetProperty("result").GetString());
        Assert.Equal(Sha256(audit), reloads[0].GetProperty("oldHash").GetString());
        Assert.Equal(Sha256(broken), reloads[0].GetProperty("newHash").GetString());
        string[] errors = [.. Strings(reloads[0].GetProperty("errors"))];
        Assert.Equal(2, errors.Length);
        Assert.Contains(errors, e => e.Contains("mode", StringComparison.Ordinal) && e.Contains("enforc", StringComparison.Ordinal) && e.StartsWith(Workload.VolumePath + "/policy.yaml:7:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("noSuchControl", StringComparison.Ordinal));
        Assert.Contains("policy: " + errors[0], run.Stderr);   // every error in the log too
        Assert.Equal("applied", reloads[1].GetProperty("result").GetString());
        Assert.Equal(Sha256(audit), reloads[1].GetProperty("oldHash").GetString());   // the broken file never ran
        Assert.Equal(Sha256(enforce), reloads[1].GetProperty("newHash").GetString());
    }

    [Fact]
    public void AConfigMapVolume_UpdatedBySymlinkSwap_IsReloaded()
    {
        // A ConfigMap volume as the kubelet writes it: policy.yaml -> ..data/policy.yaml,
        // ..data -> ..<timestamp>; an update writes a new timestamped directory and renames a new
        // ..data_tmp link over ..data (atomic_writer.go), then removes the old directory.
        string audit = Policy("audit"), enforce = Policy("enforce");
        using var workload = new Workload(audit, dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, "..2026_12_07_00_00_00.1"));
            File.WriteAllText(Path.Combine(dir, "..2026_12_07_00_00_00.1/policy.yaml"), audit);
            File.CreateSymbolicLink(Path.Combine(dir, "..data"), "..2026_12_07_00_00_00.1");
            File.CreateSymbolicLink(Path.Combine(dir, "policy.yaml"), "..data/policy.yaml");
        });

        var before = workload.Step("cp /opt/tests/hello /tmp/d1; /tmp/d1");
        string host = workload.Volume;
        Directory.CreateDirectory(Path.Combine(host, "..2026_12_07_00_01_00.2"));
        File.WriteAllText(Path.Combine(host, "..2026_12_07_00_01_00.2/policy.yaml"), enforce);
        File.CreateSymbolicLink(Path.Combine(host, "..data_tmp"), "..2026_12_07_00_01_00.2");
        Assert.Equal(0, ProcessRunner.Run("mv", ["-T", Path.Combine(host, "..data_tmp"), Path.Combine(host, "..data")], TimeSpan.FromSeconds(10)).ExitCode);
        Directory.Delete(Path.Combine(host, "..2026_12_07_00_00_00.1"), recursive: true);
        workload.WaitForLogCount("policy reloaded from", 1);
        var after = workload.Step("cp /opt/tests/hello /tmp/d2; /tmp/d2");
        RunResult run = workload.Running.Stop();

        Assert.Equal(0, before.Status);
        Assert.Equal(126, after.Status);
        JsonElement reload = Reload(Assert.Single(run.Events("policyReload", "observed")));
        Assert.Equal("applied", reload.GetProperty("result").GetString());
        Assert.Equal(Sha256(enforce), reload.GetProperty("newHash").GetString());
    }

    [Fact]
    public void AWorkloadRewritingItsOwnWritablePolicyFile_ChangesNothing()
    {
        // The attack hot reload could open: a root workload rewrites the policy it can reach to
        // audit mode, then runs a drifted binary. A policy on a writable mount is not watched.
        Prerequisites.Require();
        using RunningContainer container = RunningContainer.Start(["/bin/sh", "-c", StepRunner], policy: Policy("enforce"), readyLine: "workload started");
        File.WriteAllText(container.HostPath("/tmp/step0"),
            $"cat >{Container.PolicyPathInContainer} <<'EOF'\n{Policy("audit")}\nEOF\nsleep 1; cp /opt/tests/hello /tmp/d; /tmp/d; echo rc=$?");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(container.HostPath("/tmp/rc0")) && clock.ElapsedMilliseconds < 30_000)
            Thread.Sleep(20);
        string output = File.ReadAllText(container.HostPath("/tmp/out0"));
        RunResult run = container.Stop();

        Assert.Contains("rc=126", output);
        Assert.DoesNotContain(Ran, output);
        Assert.Empty(run.Events("policyReload", "observed"));
        Assert.Contains("is read at start only, not watched for changes", run.Stderr);
        Assert.Single(run.Events("drift", "blocked"));
    }

    [Fact]
    public void AListFileTheWorkloadCouldWrite_RefusesTheReload()
    {
        // The list-file variant of the self-rewrite: the workload plants a list file on its
        // writable /tmp and waits for the next reload to read it. A reload takes list files only
        // from read-only mounts.
        using var workload = new Workload(Policy("audit"));
        Assert.Equal(0, workload.Step("echo allowed.example > /tmp/planted-list").Status);

        workload.SavePolicy(Policy("enforce", extra: "  reputation:\n    enabled: true\n    listFiles: [/tmp/planted-list]"));
        workload.WaitForLogCount("was refused", 1);
        var after = workload.Step("cp /opt/tests/hello /tmp/d1; /tmp/d1");
        RunResult run = workload.Running.Stop();

        Assert.Equal(0, after.Status);   // nothing of the refused policy applied: drift still audits
        JsonElement reload = Reload(Assert.Single(run.Events("policyReload", "observed")));
        Assert.Equal("rejected", reload.GetProperty("result").GetString());
        Assert.StartsWith("spec.reputation: the list file /tmp/planted-list is on a writable mount", Assert.Single(Strings(reload.GetProperty("errors"))));
    }

    [Fact]
    public void AListFileOnThePolicysVolume_IsReadAgainByTheReload()
    {
        string volumeList = Workload.VolumePath + "/bad-hosts";
        string Reputation(string domains) => $"  reputation:\n    enabled: true\n    domains: {domains}\n    listFiles: [{volumeList}]";
        using var workload = new Workload(Policy("enforce", extra: Reputation("[]")), dir =>
        {
            File.WriteAllText(Path.Combine(dir, "policy.yaml"), Policy("enforce", extra: Reputation("[]")));
            File.WriteAllText(Path.Combine(dir, "bad-hosts"), "evil.example\n");
        });

        workload.SavePolicy(Policy("enforce", extra: Reputation("[worse.example]")));
        workload.WaitForLogCount("policy reloaded from", 1);
        RunResult run = workload.Running.Stop();

        JsonElement reload = Reload(Assert.Single(run.Events("policyReload", "observed")));
        Assert.Equal("applied", reload.GetProperty("result").GetString());
        Assert.Equal(["reputation"], Strings(reload.GetProperty("applied")));
    }

    [Fact]
    public void TurningOnAControlWhoseCallsTheFilterDoesNotNotify_IsPendingRestart_AndTheRestIsApplied()
    {
        using var workload = new Workload(Policy("audit"));

        workload.SavePolicy(Policy("enforce", extra: "  portBlock:\n    enabled: true\n    inboundPorts: [2222]"));
        workload.WaitForLogCount("policy reloaded from", 1);
        var after = workload.Step("cp /opt/tests/hello /tmp/d2; /tmp/d2");
        RunResult run = workload.Running.Stop();

        Assert.Equal(126, after.Status);   // the live part took effect
        JsonElement reload = Reload(Assert.Single(run.Events("policyReload", "observed")));
        Assert.Equal("pending-restart", reload.GetProperty("result").GetString());
        Assert.Equal(["driftPrevention"], Strings(reload.GetProperty("applied")));
        string pending = Assert.Single(Strings(reload.GetProperty("pending")));
        Assert.StartsWith("portBlock: the installed filter does not notify", pending);
        Assert.Contains("a change waits for a restart: portBlock", run.Stderr);
    }

    [Fact]
    public void WithoutPolicyReload_AChangedFileChangesNothing()
    {
        Prerequisites.Require();
        string volume = Directory.CreateTempSubdirectory("microenforcer-policy-volume-").FullName;
        File.WriteAllText(Path.Combine(volume, "policy.yaml"), Policy("audit"));
        RunResult run;
        using (RunningContainer container = RunningContainer.Start(["/bin/sleep", "3600"], ["--policy", "/etc/config/policy.yaml", "--no-policy-reload"],
            readyLine: "workload started", readOnlyVolume: (volume, "/etc/config")))
        {
            File.WriteAllText(Path.Combine(volume, "policy.yaml"), Policy("enforce"));
            Thread.Sleep(1000);   // a reload, if one were made, would be logged well within this
            run = container.Stop();
        }
        Directory.Delete(volume, recursive: true);

        Assert.Empty(run.Events("policyReload", "observed"));
        Assert.DoesNotContain("policy: watching", run.Stderr);
    }
}
