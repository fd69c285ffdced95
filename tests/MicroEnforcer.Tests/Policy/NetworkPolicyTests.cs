using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>
/// The network sections (portBlock, reputation, cryptoMining, portScanDetection): the shapes the
/// integration tests (tests/MicroEnforcer.IntegrationTests/Network) use are accepted, and bad
/// input is refused with its line and reason. The exact wording is the sections' own; these
/// tests pin the place (file, line, field) and the offending value. List files (unreadable, a bad
/// line) are judged where they are read: ReputationTests in the integration tests.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\n";

    private static PolicyLoadResult Parse(string spec) => ControlRegistry.ParsePolicy(Header + spec, "t.yaml");

    [Theory]
    [InlineData("portBlock: {enabled: true, mode: enforce, inboundPorts: [22, \"6000-6100\"], outboundPorts: [4444, \"7000-7010\"]}")]
    [InlineData("portBlock: {enabled: true, mode: audit, allowedInboundPorts: [8080, \"9000-9010\"], allowedOutboundPorts: [8080, 53]}")]
    [InlineData("portBlock: {enabled: true, inboundPorts: [0, 65535, \"1-1023\"]}")]
    [InlineData("reputation: {enabled: true, mode: enforce, domains: [listed.test], addresses: [\"127.66.0.0/16\", \"fd66::/16\"]}")]
    [InlineData("reputation: {enabled: true, mode: audit, domains: [listed.test], addresses: [\"10.66.0.0/16\"], dnsPorts: [53, 5353]}")]
    [InlineData("cryptoMining: {enabled: true, mode: enforce, domains: [extra.pool.test], executables: [myminer]}")]
    [InlineData("cryptoMining: {enabled: true, mode: audit}")]
    [InlineData("portScanDetection: {enabled: true, window: 10s, distinctPorts: 20, distinctHosts: 50}")]
    [InlineData("portScanDetection: {enabled: true, window: 60s, distinctPorts: 20, distinctHosts: 50}")]
    public void TheSectionsTheIntegrationTestsUseAreAccepted(string section)
    {
        var result = Parse("spec:\n  " + section + "\n");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
    }

    // The section, the field the error names, and the offending value its message quotes.
    [Theory]
    [InlineData("portBlock: {enabled: true, inboundPorts: [70000]}", "spec.portBlock.inboundPorts[0]", "70000")]
    [InlineData("portBlock: {enabled: true, outboundPorts: [22, -1]}", "spec.portBlock.outboundPorts[1]", "-1")]
    [InlineData("portBlock: {enabled: true, inboundPorts: [\"6000-70000\"]}", "spec.portBlock.inboundPorts[0]", "6000-70000")]
    [InlineData("portBlock: {enabled: true, inboundPorts: [\"6100-6000\"]}", "spec.portBlock.inboundPorts[0]", "6100-6000")]
    [InlineData("portBlock: {enabled: true, inboundPorts: [ssh]}", "spec.portBlock.inboundPorts[0]", "ssh")]
    [InlineData("portBlock: {enabled: true, allowedOutboundPorts: [99999]}", "spec.portBlock.allowedOutboundPorts[0]", "99999")]
    [InlineData("reputation: {enabled: true, addresses: [\"10.0.0.1/8\"]}", "spec.reputation.addresses[0]", "10.0.0.1/8")]
    [InlineData("reputation: {enabled: true, addresses: [\"fd66::1/16\"]}", "spec.reputation.addresses[0]", "fd66::1/16")]
    [InlineData("reputation: {enabled: true, addresses: [\"10.0.0.0/33\"]}", "spec.reputation.addresses[0]", "33")]
    [InlineData("reputation: {enabled: true, domains: [\"bad_dom@in\"]}", "spec.reputation.domains[0]", "bad_dom@in")]
    [InlineData("reputation: {enabled: true, domains: [\"a..b\"]}", "spec.reputation.domains[0]", "a..b")]
    [InlineData("reputation: {enabled: true, dnsPorts: [70000]}", "spec.reputation.dnsPorts[0]", "70000")]
    [InlineData("cryptoMining: {enabled: true, domains: [\"pool com\"]}", "spec.cryptoMining.domains[0]", "pool com")]
    public void BadInputIsRefusedWithItsLineAndReason(string section, string field, string value)
    {
        var result = Parse("spec:\n  " + section + "\n");

        Assert.Null(result.Policy);
        var error = Assert.Single(result.Errors);
        Assert.Equal(4, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABlockListAndAnAllowListForOneDirectionAreRefused()
    {
        var result = Parse("spec:\n  portBlock:\n    enabled: true\n    inboundPorts: [22]\n    allowedInboundPorts: [80]\n");

        Assert.Null(result.Policy);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("spec.portBlock.", error.Field, StringComparison.Ordinal);
        Assert.Contains("allowedInboundPorts", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("inboundPorts", error.Message, StringComparison.Ordinal);
    }
}
