using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// What a policy reload may change live: the installed filter (the start policy's rules) cannot
/// change, so a control whose new policy needs calls it does not notify, or that acts at launch,
/// waits for a restart; everything else is applied.
/// </summary>
public sealed class PolicyChangeTests
{
    private static RuntimePolicy Parse(string spec)
    {
        PolicyLoadResult result = ControlRegistry.ParsePolicy($"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            metadata:
              name: test
            spec:
            {spec}
            """, "policy.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Policy!;
    }

    private static PolicyChange Plan(string atStart, string reloaded)
    {
        RuntimePolicy start = Parse(atStart);
        return PolicyChange.Plan(start, ControlRegistry.FilterRules(start), Parse(reloaded));
    }

    [Fact]
    public void TheSamePolicy_ChangesNothing()
    {
        PolicyChange change = Plan("  mode: enforce", "  mode: enforce");

        Assert.True(change.ChangesNothing);
    }

    [Fact]
    public void AModeChange_IsApplied_ForEveryControlItChanges()
    {
        PolicyChange change = Plan("  mode: audit", "  mode: enforce");

        Assert.Empty(change.Pending);
        Assert.Contains("driftPrevention", change.AppliedNames);
        Assert.Contains("forkGuard", change.AppliedNames);
        Assert.All(change.Effective.Controls.Where(c => c.Enabled), c => Assert.Equal(EnforcementMode.Enforce, c.Mode));
    }

    [Fact]
    public void AnExecControlTurnedOn_IsApplied_WhenTheFilterNotifiesExecs()
    {
        PolicyChange change = Plan("  mode: enforce", "  executablesBlocked:\n    enabled: true\n    executables: [\"/bin/nc\"]");

        Assert.Equal(["executablesBlocked"], change.AppliedNames);
        Assert.Empty(change.Pending);
    }

    [Fact]
    public void AnExecControlTurnedOn_IsPending_WhenNoControlAtStartNotifiedExecs()
    {
        const string NoExecControls = "  driftPrevention: {enabled: false}\n  blockFilelessExec: {enabled: false}\n  reverseShell: {enabled: false}";
        PolicyChange change = Plan(NoExecControls, NoExecControls + "\n  executablesBlocked:\n    enabled: true\n    executables: [\"/bin/nc\"]");

        Assert.Empty(change.AppliedNames);
        Assert.StartsWith("executablesBlocked: the installed filter does not notify execve", Assert.Single(change.Pending));
        Assert.False(change.Effective.Get<ExecutablesBlockedPolicy>().Enabled);   // what runs meanwhile: the old
    }

    [Fact]
    public void ANetworkControlTurnedOn_IsPending_ItsBindsAreNotNotified()
    {
        PolicyChange change = Plan("  mode: enforce", "  portBlock:\n    enabled: true\n    inboundPorts: [22]");

        Assert.StartsWith("portBlock: the installed filter does not notify bind", Assert.Single(change.Pending));
        Assert.False(change.Effective.Get<PortBlockPolicy>().Enabled);
    }

    [Fact]
    public void ANetworkControlsList_ChangesLive_OnceItRuns()
    {
        PolicyChange change = Plan("  portBlock:\n    enabled: true\n    inboundPorts: [22]", "  portBlock:\n    enabled: true\n    inboundPorts: [22, 2222]");

        Assert.Equal(["portBlock"], change.AppliedNames);
        Assert.Empty(change.Pending);
    }

    [Fact]
    public void AControlTurnedOff_IsApplied()
    {
        PolicyChange change = Plan("  mode: enforce", "  reverseShell: {enabled: false}");

        Assert.Equal(["reverseShell"], change.AppliedNames);
        Assert.False(change.Effective.Get<ReverseShellPolicy>().Enabled);
    }

    [Theory]
    [InlineData("readOnly:\n    enabled: true\n    paths: [\"/etc/**\"]")]
    [InlineData("capabilitiesBlock:\n    enabled: true\n    capabilities: [NET_RAW]")]
    public void AControlThatActsAtLaunch_IsPending(string section)
    {
        PolicyChange change = Plan("  mode: enforce", "  " + section);

        Assert.Contains("acts when a process is launched", Assert.Single(change.Pending));
        Assert.Empty(change.AppliedNames);
    }

    [Fact]
    public void AllowIoUring_IsPending_TheFilterRefusesItInTheKernel()
    {
        PolicyChange change = Plan("  mode: enforce", "  allowIoUring: true");

        Assert.StartsWith("allowIoUring:", Assert.Single(change.Pending));
        Assert.False(change.Effective.AllowIoUring);
    }

    [Fact]
    public void OnlyTheLaunchControlsDefinitionsSayTheyActAtLaunch()
    {
        string[] atLaunch = [.. ControlRegistry.All.Where(d => d.ActsAtLaunch).Select(d => d.Name)];

        Assert.Equal(["fileBlock", "packageBlock", "capabilitiesBlock", "readOnly"], atLaunch);
    }
}
