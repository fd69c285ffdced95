using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The portScanDetection section (audit only), and the durations its window is written in.</summary>
public sealed class PortScanPolicyTests
{
    private const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\n";

    private static PolicyLoadResult Parse(string spec) => ControlRegistry.ParsePolicy(Header + spec, "t.yaml");

    [Fact]
    public void OffByDefault()
    {
        var policy = ControlRegistry.DefaultPolicy();

        Assert.False(policy.PortScanDetection.Enabled);
        Assert.Contains("port scanning detection off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void EnabledAloneHasTheDefaults()
    {
        var policy = Parse("spec:\n  portScanDetection: { enabled: true }\n").Policy!.PortScanDetection;

        Assert.Equal(new PortScanPolicy(true, TimeSpan.FromSeconds(10), 20, 50), policy);
        Assert.Equal(EnforcementMode.Audit, policy.Mode);
    }

    [Fact]
    public void TheFieldsAreRead()
    {
        var result = Parse("spec:\n  mode: enforce\n  portScanDetection: { enabled: true, mode: audit, window: 1m30s, distinctPorts: 5, distinctHosts: 7 }\n");

        Assert.Equal(new PortScanPolicy(true, TimeSpan.FromSeconds(90), 5, 7), result.Policy!.PortScanDetection);
        Assert.Contains("5 ports of one host or 7 hosts on one port within 1m30s", ControlRegistry.Describe(result.Policy!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ enabled: true, window: 10 }", "t.yaml:4:47: spec.portScanDetection.window", "needs a unit")]
    [InlineData("{ enabled: true, window: 10 seconds }", "t.yaml:4:47: spec.portScanDetection.window", "10 seconds")]
    [InlineData("{ enabled: true, window: 10d }", "t.yaml:4:47: spec.portScanDetection.window", "unknown unit 'd'")]
    [InlineData("{ enabled: true, window: 500ms }", "t.yaml:4:47: spec.portScanDetection.window", "from 1s to 1h")]
    [InlineData("{ enabled: true, window: 2h }", "t.yaml:4:47: spec.portScanDetection.window", "from 1s to 1h")]
    [InlineData("{ enabled: true, window: [10s] }", "t.yaml:4:47: spec.portScanDetection.window", "expected a string")]
    [InlineData("{ enabled: true, distinctPorts: 1 }", "t.yaml:4:54: spec.portScanDetection.distinctPorts", "from 2 to 4096")]
    [InlineData("{ enabled: true, distinctHosts: 5000 }", "t.yaml:4:54: spec.portScanDetection.distinctHosts", "from 2 to 4096")]
    [InlineData("{ enabled: true, mode: enforce }", "t.yaml:4:45: spec.portScanDetection.mode", "only audits")]
    public void ABadPolicyIsRefusedWithItsLineAndReason(string section, string where, string why)
    {
        var result = Parse($"spec:\n  portScanDetection: {section}\n");

        Assert.Null(result.Policy);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(where, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m", 60_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("2h", 7_200_000)]
    [InlineData(" 3s ", 3_000)]
    public void DurationsAreANumberAndAUnit(string text, long milliseconds)
    {
        Assert.True(PolicyDuration.TryParse(text, out TimeSpan value, out string error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
        Assert.True(PolicyDuration.TryParse(PolicyDuration.Format(value), out TimeSpan again, out _));
        Assert.Equal(value, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("10")]
    [InlineData("-1s")]
    [InlineData("1.5s")]
    [InlineData("10S")]
    [InlineData("99999999999h")]
    public void WhatIsNotADurationIsRefused(string text)
    {
        Assert.False(PolicyDuration.TryParse(text, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void FormatIsTheShortestSpelling()
    {
        Assert.Equal("10s", PolicyDuration.Format(TimeSpan.FromSeconds(10)));
        Assert.Equal("1m30s", PolicyDuration.Format(TimeSpan.FromSeconds(90)));
        Assert.Equal("1h", PolicyDuration.Format(TimeSpan.FromHours(1)));
        Assert.Equal("1s500ms", PolicyDuration.Format(TimeSpan.FromMilliseconds(1500)));
    }
}
