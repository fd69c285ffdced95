using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// spec.blockContainerExec with real `podman exec` sessions (runc exec: runc init appears in the
/// container and execs the command 20-30 ms later) into the nginx sample. Every command would
/// leave a marker file; `podman cp` (which does not exec anything in the container) looks for it.
/// This worktree's binary is mounted over the image's, so the test does not depend on who built
/// the shared image tags last.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class BlockContainerExecTests
{
    private const string Enforcer = "/.microenforcer/microenforcer";

    public BlockContainerExecTests(PodmanImages images) => _ = images; // the fixture builds the images

    private static PodmanContainer StartNginx(string mode, string policyDir)
    {
        File.WriteAllText(Path.Combine(policyDir, "policy.yaml"), $$"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            metadata: { name: no-exec }
            spec:
              blockContainerExec:
                enabled: true
                mode: {{mode}}
                allowedCommands: [/usr/bin/cat]
            """);
        var container = PodmanContainer.Start(PodmanImages.NginxSample,
            ["--cap-add", "SYS_PTRACE", "-v", $"{Prerequisites.EnforcerBinary}:{Enforcer}:ro", "-v", $"{policyDir}:/.microenforcer-policy:ro",
             "--entrypoint", $"[\"{Enforcer}\", \"run\", \"--policy\", \"/.microenforcer-policy/policy.yaml\", \"--\"]"],
            ["nginx", "-g", "daemon off;"], publishHttp: true);
        container.Page(); // started and serving
        return container;
    }

    private static bool Exists(PodmanContainer container, string path, string scratch) =>
        Podman.Run(["cp", $"{container.Name}:{path}", Path.Combine(scratch, Path.GetFileName(path))]).ExitCode == 0;

    [Fact]
    public void PodmanExecAndTheWrapper_AreRefused_AnAllowedProbeCommandRuns_AndNginxServesOn()
    {
        string dir = Directory.CreateTempSubdirectory("microenforcer-noexec-").FullName;
        try
        {
            using var container = StartNginx("enforce", dir);

            var exec = container.Exec("touch", "/session-ran");
            var wrapper = container.Exec(Enforcer, "exec", "--", "touch", "/wrapper-ran");
            var probe = container.Exec("cat", "/etc/hostname");
            string page = container.Page();
            var logs = container.WaitForLogs(l => l.EventsFor("blockContainerExec", "/usr/bin/touch").Any() &&
                l.EventsFor("blockContainerExec", "touch").Any(), TimeSpan.FromSeconds(5));
            string seen = $"--- exec: {exec.ExitCode}\n{exec.Stderr}\n--- wrapper: {wrapper.ExitCode}\n{wrapper.Stderr}\n--- probe: {probe.ExitCode}\n{probe.Stderr}\n{logs}";

            Assert.False(Exists(container, "/session-ran", dir), $"podman exec's command ran\n{seen}");
            Assert.True(exec.ExitCode != 0, seen);
            Assert.False(Exists(container, "/wrapper-ran", dir), $"the wrapper's command ran\n{seen}");
            Assert.True(wrapper.ExitCode == 77, seen);
            Assert.Contains("microenforcer exec: refused by policy 'no-exec': exec sessions are blocked (spec.blockContainerExec)", wrapper.Stderr);
            Assert.True(probe.ExitCode == 0, $"the allowed command was refused\n{seen}");
            Assert.Contains("nginx", page, StringComparison.OrdinalIgnoreCase);
            JsonElement killed = Assert.Single(logs.EventsFor("blockContainerExec", "/usr/bin/touch"));
            Assert.Equal("killed", killed.GetProperty("action").GetString());
            Assert.Equal("execve", killed.GetProperty("syscall").GetString());   // runc init was seized before its exec
            Assert.Equal("blocked", Assert.Single(logs.EventsFor("blockContainerExec", "touch")).GetProperty("action").GetString());
            Assert.Empty(logs.EventsFor("blockContainerExec", "/usr/bin/cat"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AuditMode_LetsBothRun_AndReportsThem()
    {
        string dir = Directory.CreateTempSubdirectory("microenforcer-noexec-").FullName;
        try
        {
            using var container = StartNginx("audit", dir);

            var exec = container.Exec("touch", "/session-ran");
            var wrapper = container.Exec(Enforcer, "exec", "--", "touch", "/wrapper-ran");
            var logs = container.WaitForLogs(l => l.EventsFor("blockContainerExec", "/usr/bin/touch").Any() &&
                l.EventsFor("blockContainerExec", "touch").Any(), TimeSpan.FromSeconds(5));
            string seen = $"--- exec: {exec.ExitCode}\n{exec.Stderr}\n--- wrapper: {wrapper.ExitCode}\n{wrapper.Stderr}\n{logs}";

            Assert.True(exec.ExitCode == 0 && wrapper.ExitCode == 0, seen);
            Assert.True(Exists(container, "/session-ran", dir) && Exists(container, "/wrapper-ran", dir), seen);
            Assert.Equal("detected", Assert.Single(logs.EventsFor("blockContainerExec", "/usr/bin/touch")).GetProperty("action").GetString());
            Assert.Equal("detected", Assert.Single(logs.EventsFor("blockContainerExec", "touch")).GetProperty("action").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
