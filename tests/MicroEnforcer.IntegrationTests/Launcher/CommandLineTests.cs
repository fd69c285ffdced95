using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Launcher;

/// <summary>
/// The CLI contract: bad policies are refused with file, line and reason before anything runs;
/// the launcher's own failures have their documented exit statuses.
/// </summary>
public sealed class CommandLineTests
{
    private const string Valid = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        metadata: { name: ok }
        spec:
          mode: enforce
          driftPrevention:
            enabled: true
            allowedExecutables: []
        """;

    public static TheoryData<string, string, string> BadPolicies => new()
    {
        { "wrong apiVersion", Valid.Replace("microenforcer.dev/v1", "microenforcer.dev/v2", StringComparison.Ordinal), "policy.yaml:1:" },
        { "wrong kind", Valid.Replace("kind: RuntimePolicy", "kind: Policy", StringComparison.Ordinal), "policy.yaml:2:" },
        { "bad mode", Valid.Replace("mode: enforce", "mode: block", StringComparison.Ordinal), "policy.yaml:5:" },
        { "misspelled field", Valid.Replace("enabled:", "enable:", StringComparison.Ordinal), "did you mean 'enabled'" },
        { "not a boolean", Valid.Replace("enabled: true", "enabled: yes", StringComparison.Ordinal), "policy.yaml:7:" },
        { "relative glob", Valid.Replace("[]", "[\"tmp/*\"]", StringComparison.Ordinal), "policy.yaml:8:" },
        { "unterminated glob class", Valid.Replace("[]", "[\"/tmp/[ab\"]", StringComparison.Ordinal), "policy.yaml:8:" },
        { "tab indentation", Valid.Replace("  mode: enforce", "\tmode: enforce", StringComparison.Ordinal), "policy.yaml:5:" },
        { "broken JSON", "{\"apiVersion\": \"microenforcer.dev/v1\", \"kind\": \"RuntimePolicy\", \"spec\": {\"mode\": \"enforce\",}}", "policy.yaml:1:" },
        { "empty file", "", "policy.yaml" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public void BadPolicyIsRefusedBeforeTheWorkloadStarts(string name, string policy, string expectedLocation)
    {
        var r = Container.Run(["/bin/echo", "WORKLOAD-RAN"], policy);

        Assert.True(r.ExitCode == 78, $"{name}: {r}");
        Assert.DoesNotContain("WORKLOAD-RAN", r.Stdout);
        Assert.Contains("policy error: /etc/microenforcer/", r.Stderr);
        Assert.Contains(expectedLocation, r.Stderr);
        Assert.Contains("nothing was started", r.Stderr);
    }

    [Fact]
    public void MissingPolicyFileIsRefused()
    {
        var r = Container.RunRaw(["/.microenforcer/microenforcer", "run", "--policy", "/nope.yaml", "--", "/bin/echo", "WORKLOAD-RAN"]);

        Assert.Equal(78, r.ExitCode);
        Assert.DoesNotContain("WORKLOAD-RAN", r.Stdout);
        Assert.Contains("/nope.yaml", r.Stderr);
    }

    [Fact]
    public void ValidPolicyIsAcceptedByRunAndByValidate()
    {
        var r = Container.Run(["/bin/echo", "WORKLOAD-RAN"], Valid);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("WORKLOAD-RAN", r.Stdout);

        var v = Container.RunRaw(["/.microenforcer/microenforcer", "policy", "validate", Container.PolicyPathInContainer], Valid);
        Assert.Equal(0, v.ExitCode);
        Assert.Contains("valid policy 'ok'", v.Stdout);
    }

    [Fact]
    public void ValidateReportsEveryErrorWithLineAndReason()
    {
        string policy = Valid.Replace("mode: enforce", "mode: block", StringComparison.Ordinal).Replace("enabled:", "enable:", StringComparison.Ordinal);
        var v = Container.RunRaw(["/.microenforcer/microenforcer", "policy", "validate", Container.PolicyPathInContainer], policy);

        Assert.Equal(78, v.ExitCode);
        Assert.Contains("policy.yaml:5:", v.Stderr);
        Assert.Contains("policy.yaml:7:", v.Stderr);
        Assert.Contains("2 errors", v.Stderr);
    }

    [Fact]
    public void DefaultPolicyPrintsAndValidates()
    {
        var r = Container.RunRaw(["/bin/sh", "-c", "/.microenforcer/microenforcer policy default > /tmp/d.yaml && /.microenforcer/microenforcer policy validate /tmp/d.yaml"]);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("valid policy 'default'", r.Stdout);
    }

    [Fact]
    public void CommandNotFoundIs127()
    {
        var r = Container.Run(["/no/such/command"]);

        Assert.Equal(127, r.ExitCode);
        Assert.Contains("cannot run /no/such/command", r.Stderr);
    }

    [Fact]
    public void CommandNotExecutableIs126()
    {
        var r = Container.Run(["/etc/passwd"]);

        Assert.Equal(126, r.ExitCode);
    }

    [Fact]
    public void CommandIsLookedUpInPath()
    {
        var r = Container.Run(["hello"]);
        Assert.NotEqual(0, r.ExitCode);   // /opt/tests is not in PATH

        var found = Container.Run(["echo", "found-in-path"]);
        Assert.Equal(0, found.ExitCode);
        Assert.Contains("found-in-path", found.Stdout);
    }

    [Fact]
    public void UsageErrorsAre64()
    {
        var noCommand = Container.RunRaw(["/.microenforcer/microenforcer", "run"]);
        Assert.Equal(64, noCommand.ExitCode);

        var unknown = Container.RunRaw(["/.microenforcer/microenforcer", "frobnicate"]);
        Assert.Equal(64, unknown.ExitCode);
    }

    [Fact]
    public void VersionAndHelpWork()
    {
        var version = Container.RunRaw(["/.microenforcer/microenforcer", "version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("microenforcer ", version.Stdout, StringComparison.Ordinal);

        var help = Container.RunRaw(["/.microenforcer/microenforcer", "run", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--policy", help.Stdout);
    }
}
