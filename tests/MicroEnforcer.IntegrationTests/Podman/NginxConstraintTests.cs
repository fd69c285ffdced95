using System.Globalization;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// The wrapped nginx under the constraints users run containers with. In each, the workload
/// first runs the drift scenario itself (a shell under PID 1 copies an image binary and runs the
/// copy), then becomes nginx: the copy must be refused and audited, and nginx must still serve.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class NginxConstraintTests
{
    private const int SysPtrace = 19, SysAdmin = 21; // capability numbers (linux/capability.h)
    private const int WwwData = 33;                 // Debian's fixed uid and gid for www-data

    public NginxConstraintTests(PodmanImages images) => _ = images; // the fixture builds the images

    [Fact]
    public void PodmanDefaultSeccompProfileAndCapabilitiesPlusSysPtrace()
    {
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, ["--cap-add", "SYS_PTRACE"], DriftScenario.ThenNginx("/bin/list"), publishHttp: true);

        string page = container.Page();
        var logs = DriftScenario.WaitForReport(container);
        var processes = container.Processes();
        var pid1 = processes.Single(p => p.Pid == 1);
        var master = processes.Single(p => p.Args.StartsWith("nginx: master", StringComparison.Ordinal));

        Assert.Contains("under MicroEnforcer", page);
        DriftScenario.AssertRefusedInShell(logs, "/bin/list");
        // podman's default profile is on PID 1 itself (the enforcer runs under it, filter mode 2);
        // the workload has that filter and the enforcer's on top.
        Assert.Equal("2", pid1.Status("Seccomp"));
        Assert.Equal("1", pid1.Status("Seccomp_filters"));
        Assert.Equal("2", master.Status("Seccomp_filters"));
        ulong capabilities = ulong.Parse(pid1.Status("CapEff"), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.True((capabilities & (1UL << SysPtrace)) != 0, $"PID 1 lacks CAP_SYS_PTRACE: CapEff {capabilities:x}");
        Assert.True((capabilities & (1UL << SysAdmin)) == 0, $"PID 1 has CAP_SYS_ADMIN, so this is not podman's default set: CapEff {capabilities:x}");
    }

    [Fact]
    public void NoNewPrivileges()
    {
        using var container = PodmanContainer.Start(PodmanImages.NginxSample,
            ["--cap-add", "SYS_PTRACE", "--security-opt", "no-new-privileges"], DriftScenario.ThenNginx("/bin/list"), publishHttp: true);

        string page = container.Page();
        var logs = DriftScenario.WaitForReport(container);
        var pid1 = container.Processes().Single(p => p.Pid == 1);

        Assert.Contains("under MicroEnforcer", page);
        Assert.Equal("1", pid1.Status("NoNewPrivs"));
        DriftScenario.AssertRefusedInShell(logs, "/bin/list");
    }

    [Fact]
    public void ReadOnlyRootFilesystem()
    {
        // As users run nginx read-only: tmpfs where it writes (its temp files, pid file, logs).
        // podman adds tmpfs /tmp, /var/tmp and /run itself with --read-only; the drifted copy goes
        // to /tmp, the only place a workload can write an executable. This podman mounts it
        // without noexec; the audit event shows it is the enforcer that refuses, either way.
        string[] options = ["--cap-add", "SYS_PTRACE", "--read-only", "--tmpfs", "/var/lib/nginx", "--tmpfs", "/run", "--tmpfs", "/var/log/nginx"];
        string probe = "touch /bin/probe 2>/dev/null && echo root-writable || echo root-read-only; ";
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, options, DriftScenario.ThenNginx("/tmp/list", before: probe), publishHttp: true);

        string page = container.Page();
        var logs = DriftScenario.WaitForReport(container);

        Assert.Contains("under MicroEnforcer", page);
        Assert.True(logs.Stdout.Contains("root-read-only", StringComparison.Ordinal), $"the root filesystem was writable\n{logs}");
        DriftScenario.AssertRefusedInShell(logs, "/tmp/list");
    }

    [Fact]
    public void WorkersRunAsWwwDataAndDriftAsWwwDataIsBlocked()
    {
        // nginx's master runs as root and its workers as www-data, so the enforcer has to act on
        // processes of another uid: that is what SYS_PTRACE is for. A drifted exec by www-data
        // (setpriv drops to it, as nginx does) is refused like root's.
        string asWwwData = "cp /bin/echo /tmp/w && setpriv --reuid=www-data --regid=www-data --clear-groups " +
            $"sh -c '/tmp/w {DriftScenario.Marker}; echo \"www-data-exit=$?\"'; ";
        using var container = PodmanContainer.Start(PodmanImages.NginxSample, ["--cap-add", "SYS_PTRACE"], DriftScenario.ThenNginx("/bin/list", before: asWwwData), publishHttp: true);

        string page = container.Page();
        var logs = DriftScenario.WaitForReport(container);
        logs = container.WaitForLogs(l => l.EventsFor("drift", "/tmp/w").Any());
        var workers = container.Processes().Where(p => p.Args.StartsWith("nginx: worker", StringComparison.Ordinal)).ToList();

        Assert.Contains("under MicroEnforcer", page);
        Assert.True(workers.Count > 0, $"no nginx worker processes\n{logs}");
        foreach (var worker in workers)
        {
            Assert.Equal("www-data", worker.User);
            Assert.Equal($"{WwwData}\t{WwwData}\t{WwwData}\t{WwwData}", worker.Status("Uid"));
        }
        DriftScenario.AssertRefusedInShell(logs, "/bin/list");
        Assert.True(logs.Stdout.Contains("www-data-exit=126", StringComparison.Ordinal), $"www-data's drifted exec was not refused\n{logs}");
        var e = DriftScenario.AssertAuditedAsBlocked(logs, "/tmp/w");
        Assert.Equal(WwwData, e.GetProperty("uid").GetInt32());
    }
}
