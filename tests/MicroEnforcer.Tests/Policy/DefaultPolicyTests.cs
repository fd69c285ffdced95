using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class DefaultPolicyTests
{
    [Fact]
    public void Load_GivesAllControlsEnforcedWithNoExceptions()
    {
        var policy = ControlRegistry.DefaultPolicy();

        Assert.Equal(
            new RuntimePolicy(
                "default",
                EnforcementMode.Enforce,
                [   // in the registry's order
                    new FilelessExecPolicy(true, EnforcementMode.Enforce),
                    new ReverseShellPolicy(true, EnforcementMode.Enforce, [], [], ReverseShellPolicy.DefaultInterpreters),
                    new ExecutablesBlockedPolicy(false, EnforcementMode.Enforce, []),
                    new FileBlockPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, []),
                    new PackageBlockPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, []),
                    new DriftPreventionPolicy(true, EnforcementMode.Enforce, []),
                    new ExecutablesAllowedPolicy(false, EnforcementMode.Enforce, []),
                    new ForkGuardPolicy(true, EnforcementMode.Enforce, 1024),
                    new CapabilitiesBlockPolicy(false, EnforcementMode.Enforce, 0),
                    new LimitNewPrivilegesPolicy(),
                    new SystemIntegrityPolicy(false),
                    new BlockPtracePolicy(false, EnforcementMode.Enforce),
                    new BlockContainerExecPolicy(false, EnforcementMode.Enforce, []),
                    new FileIntegrityPolicy(false, WatchedPaths.DefaultGlobs, FileIntegrityControl.DefaultMaxHashBytes),
                    new ReadOnlyPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, [], []),
                    new PortBlockPolicy(false, EnforcementMode.Enforce, [], null, [], null),
                    new ReputationPolicy(false, EnforcementMode.Enforce, [], [], [], ReputationPolicy.DefaultDnsPorts),
                    new CryptoMiningPolicy(false, EnforcementMode.Enforce, [], []),
                    new PortScanPolicy(false, PortScanPolicy.DefaultWindow, PortScanPolicy.DefaultDistinctPorts, PortScanPolicy.DefaultDistinctHosts),
                ]),
            policy);
    }

    [Fact]
    public void Load_EqualsThePolicyBuiltFromDefaultsAlone()
    {
        // The file spells out what the binder's defaults give: the two must not drift apart.
        var fromDefaults = ControlRegistry.ParsePolicy("apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec: {}\n", "t.yaml").Policy;

        Assert.Equal(fromDefaults! with { Name = "default" }, ControlRegistry.DefaultPolicy());
    }

    [Theory]
    [InlineData("driftPrevention:")]
    [InlineData("blockFilelessExec:")]
    [InlineData("forkGuard:")]
    [InlineData("reverseShell:")]
    [InlineData("capabilitiesBlock:")]
    [InlineData("capabilities: []")]
    [InlineData("limitNewPrivileges:")]
    [InlineData("systemIntegrityMonitoring:")]
    [InlineData("blockPtrace:")]
    [InlineData("maxProcesses: 1024")]
    [InlineData("allowedProcesses: []")]
    [InlineData("allowedAddresses: []")]
    [InlineData("interpreters:")]
    [InlineData("blockContainerExec:")]
    [InlineData("allowedCommands: []")]
    public void Text_ShowsEveryControlAndField(string expected)
    {
        Assert.Contains(expected, DefaultPolicy.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_IsTheEmbeddedCommentedYaml()
    {
        Assert.Contains("apiVersion: microenforcer.dev/v1", DefaultPolicy.Text, StringComparison.Ordinal);
        Assert.Contains("# ", DefaultPolicy.Text, StringComparison.Ordinal);
        Assert.True(ControlRegistry.ParsePolicy(DefaultPolicy.Text, DefaultPolicy.ResourceName).Succeeded);
    }
}
