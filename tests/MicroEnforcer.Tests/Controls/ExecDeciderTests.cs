using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// The one place an exec is decided: which control's objection stands when several object. The
/// controls are test doubles (the decider's input is only "this control, in this mode, objects
/// or not"), and every double records that it was asked, so the tests also say who is asked.
/// </summary>
public sealed class ExecDeciderTests
{
    private static readonly ExecTarget Target = new(1234, "/usr/bin/tool", default(FileSignature), "/proc/1234/exe", "tool");

    private readonly List<string> _asked = [];

    /// <summary>A control that answers with <paramref name="finding"/> (null: no objection) and notes it was asked.</summary>
    private sealed class Control(string name, EnforcementMode mode, ControlFinding? finding, List<string> asked) : IExecControl
    {
        public string Name => name;

        public EnforcementMode Mode => mode;

        public ExecTarget? Seen { get; private set; }

        public ControlFinding? Evaluate(ExecTarget target)
        {
            asked.Add(name);
            Seen = target;
            return finding;
        }
    }

    private Control Objects(string name, EnforcementMode mode) => new(name, mode, new ControlFinding(name, $"{name} objects"), _asked);

    private Control Awaits(string name, EnforcementMode mode) =>
        new(name, mode, new ControlFinding(name, $"{name} waits") { AwaitsBaseline = true }, _asked);

    private Control Silent(string name, EnforcementMode mode = EnforcementMode.Enforce) => new(name, mode, null, _asked);

    private static ExecDecision Decide(params IExecControl[] controls) => new ExecDecider(controls).Decide(Target);

    [Fact]
    public void WithNoControlsTheExecIsAllowed()
    {
        ExecDecision decision = Decide();

        Assert.Same(ExecDecision.Allowed, decision);
        Assert.False(decision.Deny);
        Assert.False(decision.Detected);
        Assert.False(decision.AwaitsBaseline);
    }

    [Fact]
    public void WhenNoControlObjectsTheExecIsAllowedAndEveryControlWasAsked()
    {
        Control a = Silent("a"), b = Silent("b", EnforcementMode.Audit), c = Silent("c");

        ExecDecision decision = Decide(a, b, c);

        Assert.Same(ExecDecision.Allowed, decision);
        Assert.Equal(["a", "b", "c"], _asked);
        Assert.Same(Target, a.Seen);   // each control judges the very target the decider was given
        Assert.Same(Target, c.Seen);
    }

    [Fact]
    public void AnEnforcingObjectionDeniesTheExec()
    {
        ExecDecision decision = Decide(Silent("a"), Objects("drift", EnforcementMode.Enforce));

        Assert.True(decision.Deny);
        Assert.False(decision.Detected);
        Assert.Equal("drift", decision.Finding!.Control);
        Assert.Equal(EnforcementMode.Enforce, decision.Mode);
    }

    [Fact]
    public void AnAuditObjectionIsDetectedAndTheExecGoesOn()
    {
        ExecDecision decision = Decide(Objects("drift", EnforcementMode.Audit), Silent("b"));

        Assert.False(decision.Deny);
        Assert.True(decision.Detected);
        Assert.Equal("drift", decision.Finding!.Control);
        Assert.Equal(["drift", "b"], _asked);   // an audit finding does not end the asking
    }

    [Fact]
    public void AnAuditFindingNeverHidesAnEnforcedBlockByALaterControl()
    {
        ExecDecision decision = Decide(
            Objects("drift", EnforcementMode.Audit),
            Objects("fileless", EnforcementMode.Audit),
            Objects("reverseShell", EnforcementMode.Enforce));

        Assert.True(decision.Deny);
        Assert.Equal("reverseShell", decision.Finding!.Control);
    }

    [Fact]
    public void TheFirstEnforcingObjectionWinsAndTheRestAreNotAsked()
    {
        ExecDecision decision = Decide(
            Objects("drift", EnforcementMode.Audit),
            Objects("fileless", EnforcementMode.Enforce),
            Objects("reverseShell", EnforcementMode.Enforce),
            Silent("last"));

        Assert.Equal("fileless", decision.Finding!.Control);
        Assert.True(decision.Deny);
        Assert.Equal(["drift", "fileless"], _asked);
    }

    [Fact]
    public void OfSeveralAuditFindingsTheFirstIsReported()
    {
        ExecDecision decision = Decide(
            Silent("a"),
            Objects("fileless", EnforcementMode.Audit),
            Objects("reverseShell", EnforcementMode.Audit),
            Silent("b"));

        Assert.True(decision.Detected);
        Assert.Equal("fileless", decision.Finding!.Control);
        Assert.Equal(["a", "fileless", "reverseShell", "b"], _asked);
    }

    [Fact]
    public void AnObjectionThatAwaitsTheBaselineComesBeforeAuditFindings()
    {
        // The audit finding is reported when the exec is decided again, once the baseline is recorded.
        ExecDecision decision = Decide(
            Objects("reverseShell", EnforcementMode.Audit),
            Awaits("drift", EnforcementMode.Enforce));

        Assert.True(decision.AwaitsBaseline);
        Assert.Equal("drift", decision.Finding!.Control);
    }

    [Fact]
    public void AnObjectionThatAwaitsTheBaselineAwaitsItInAuditModeToo()
    {
        // Mode is not what makes it wait: in audit mode, the recorded baseline's reason is the one reported.
        ExecDecision decision = Decide(Awaits("drift", EnforcementMode.Audit), Objects("fileless", EnforcementMode.Audit));

        Assert.True(decision.AwaitsBaseline);
        Assert.True(decision.Detected);
        Assert.False(decision.Deny);
        Assert.Equal("drift", decision.Finding!.Control);
    }

    [Fact]
    public void AnEnforcedDenialThatNeedsNoBaselineWinsOverAnEarlierObjectionThatAwaitsIt()
    {
        // Nothing the baseline says can let it through: no reason to hold the exec.
        ExecDecision decision = Decide(
            Awaits("drift", EnforcementMode.Enforce),
            Objects("reverseShell", EnforcementMode.Enforce));

        Assert.True(decision.Deny);
        Assert.False(decision.AwaitsBaseline);
        Assert.Equal("reverseShell", decision.Finding!.Control);
    }

    [Fact]
    public void AnEnforcedDenialBeforeAnObjectionThatAwaitsTheBaselineWins()
    {
        ExecDecision decision = Decide(
            Objects("fileless", EnforcementMode.Enforce),
            Awaits("drift", EnforcementMode.Enforce));

        Assert.True(decision.Deny);
        Assert.False(decision.AwaitsBaseline);
        Assert.Equal("fileless", decision.Finding!.Control);
        Assert.Equal(["fileless"], _asked);
    }

    [Fact]
    public void OfSeveralObjectionsThatAwaitTheBaselineTheFirstIsKept()
    {
        ExecDecision decision = Decide(
            Awaits("first", EnforcementMode.Audit),
            Awaits("second", EnforcementMode.Enforce),
            Objects("audit", EnforcementMode.Audit));

        Assert.True(decision.AwaitsBaseline);
        Assert.Equal("first", decision.Finding!.Control);
        Assert.Equal(EnforcementMode.Audit, decision.Mode);   // the decision carries its own control's mode
        Assert.Equal(["first", "second", "audit"], _asked);
    }

    [Fact]
    public void TheDecisionCarriesTheFindingAsTheControlReturnedIt()
    {
        var finding = new ControlFinding("reverseShell", "sh would run with fd 0 on a tcp socket") { Remote = "10.0.0.1:4444" };
        var control = new Control("reverseShell", EnforcementMode.Enforce, finding, _asked);

        ExecDecision decision = Decide(control);

        Assert.Same(finding, decision.Finding);
        Assert.Equal("10.0.0.1:4444", decision.Finding!.Remote);
    }
}
