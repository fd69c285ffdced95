using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The systemIntegrityMonitoring (audit only) and blockPtrace sections.</summary>
public sealed class SystemIntegrityAndPtracePolicyTests
{
    private const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\n";

    private static PolicyLoadResult Parse(string spec) => ControlRegistry.ParsePolicy(Header + spec, "t.yaml");

    [Fact]
    public void BothAreOffByDefault()
    {
        var policy = ControlRegistry.DefaultPolicy();

        Assert.False(policy.SystemIntegrityMonitoring.Enabled);
        Assert.False(policy.BlockPtrace.Enabled);
        Assert.Contains("system integrity monitoring off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
        Assert.Contains("block ptrace off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spec:\n  systemIntegrityMonitoring: { enabled: true }\n")]
    [InlineData("spec:\n  systemIntegrityMonitoring: { enabled: true, mode: audit }\n")]
    [InlineData("spec:\n  mode: enforce\n  systemIntegrityMonitoring: { enabled: true }\n")]
    public void MonitoringIsAlwaysAudit(string spec)
    {
        var policy = Parse(spec).Policy!;

        Assert.Equal(new SystemIntegrityPolicy(true), policy.SystemIntegrityMonitoring);
        Assert.Equal(EnforcementMode.Audit, policy.SystemIntegrityMonitoring.Mode);
        Assert.Contains("system integrity monitoring audit", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void MonitoringRefusesEnforce()
    {
        var result = Parse("spec:\n  systemIntegrityMonitoring: { enabled: true, mode: enforce }\n");

        var error = Assert.Single(result.Errors);
        Assert.Equal("spec.systemIntegrityMonitoring.mode", error.Field);
        Assert.Contains("only audits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFieldsAreRefusedWithTheirSections()
    {
        var result = Parse("spec:\n  systemIntegrityMonitoring: { enable: true }\n  blockPtrace: { enabeld: true }\n");

        Assert.Equal(
            [
                "t.yaml:4:32: spec.systemIntegrityMonitoring.enable: unknown field 'enable'; did you mean 'enabled'? (allowed: mode, enabled)",
                "t.yaml:5:18: spec.blockPtrace.enabeld: unknown field 'enabeld'; did you mean 'enabled'? (allowed: enabled, mode)",
            ],
            result.Errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("spec:\n  blockPtrace: { enabled: true }\n", EnforcementMode.Enforce)]
    [InlineData("spec:\n  mode: audit\n  blockPtrace: { enabled: true }\n", EnforcementMode.Audit)]
    [InlineData("spec:\n  blockPtrace: { enabled: true, mode: audit }\n", EnforcementMode.Audit)]
    public void BlockPtraceTakesAMode(string spec, EnforcementMode mode)
    {
        Assert.Equal(new BlockPtracePolicy(true, mode), Parse(spec).Policy!.BlockPtrace);
    }
}
