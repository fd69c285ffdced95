using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The fileIntegrityMonitoring section (audit only): its defaults and what it refuses, with line and reason.</summary>
public sealed class FileIntegrityPolicyTests
{
    private const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\n";

    private static PolicyLoadResult Parse(string spec) => ControlRegistry.ParsePolicy(Header + spec, "t.yaml");

    [Fact]
    public void OffByDefault()
    {
        var policy = ControlRegistry.DefaultPolicy();

        Assert.False(policy.FileIntegrityMonitoring.Enabled);
        Assert.Contains("file integrity monitoring off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void EnabledWithNoListWatchesTheDefaultsAndHashesUpToOneMebibyte()
    {
        var policy = Parse("spec:\n  fileIntegrityMonitoring: { enabled: true }\n").Policy!;

        Assert.Equal(WatchedPaths.Defaults, policy.FileIntegrityMonitoring.Paths.Select(g => g.Pattern));
        Assert.Equal(1 << 20, policy.FileIntegrityMonitoring.MaxHashBytes);
        Assert.Equal(EnforcementMode.Audit, policy.FileIntegrityMonitoring.Mode);
    }

    [Fact]
    public void AListReplacesTheDefaults()
    {
        var policy = Parse("spec:\n  fileIntegrityMonitoring: { enabled: true, paths: [/srv/app, /etc/*.conf], maxHashBytes: 0 }\n").Policy!;

        Assert.Equal(["/srv/app", "/etc/*.conf"], policy.FileIntegrityMonitoring.Paths.Select(g => g.Pattern));
        Assert.Equal(0, policy.FileIntegrityMonitoring.MaxHashBytes);
    }

    [Theory]
    [InlineData("{ enabled: true, paths: [etc/passwd] }", "t.yaml:4:53: spec.fileIntegrityMonitoring.paths[0]", "must be absolute")]
    [InlineData("{ enabled: true, paths: [''] }", "t.yaml:4:53: spec.fileIntegrityMonitoring.paths[0]", "the path is empty")]
    [InlineData("{ enabled: true, paths: [/etc/../root] }", "t.yaml:4:53: spec.fileIntegrityMonitoring.paths[0]", "..")]
    [InlineData("{ enabled: true, maxHashBytes: -1 }", "t.yaml:4:59: spec.fileIntegrityMonitoring.maxHashBytes", "from 0 to 16777216")]
    [InlineData("{ enabled: true, maxHashBytes: 16777217 }", "t.yaml:4:59: spec.fileIntegrityMonitoring.maxHashBytes", "from 0 to 16777216")]
    [InlineData("{ enabled: true, mode: enforce }", "t.yaml:4:51: spec.fileIntegrityMonitoring.mode", "only audits")]
    public void ABadPolicyIsRefusedWithItsLineAndReason(string section, string where, string why)
    {
        var result = Parse($"spec:\n  fileIntegrityMonitoring: {section}\n");

        Assert.Null(result.Policy);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(where, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }
}
