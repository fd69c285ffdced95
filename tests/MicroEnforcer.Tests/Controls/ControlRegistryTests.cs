using System.Text;
using MicroEnforcer.Audit;
using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// The registry is the one list every part of the enforcer iterates: the policy's sections, the
/// filter's rules, the running controls, the start-up summary. These tests hold its invariants,
/// so that a control added to it is complete.
/// </summary>
public sealed class ControlRegistryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("registry-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void SectionAndAuditNamesAreUnique()
    {
        Assert.Equal(ControlRegistry.All.Length, ControlRegistry.All.Select(c => c.Name).Distinct().Count());
        Assert.Equal(ControlRegistry.All.Length, ControlRegistry.All.Select(c => c.AuditName).Distinct().Count());
        Assert.DoesNotContain(ControlRegistry.All, c => c.Name is "mode" or "allowIoUring");
    }

    [Fact]
    public void TheDefaultPolicyDocumentsEverySection()
    {
        // `policy default` prints the embedded file: a control missing from it is undocumented
        // for the users who start from it.
        foreach (ControlDefinition control in ControlRegistry.All)
            Assert.Contains($"\n  {control.Name}:", DefaultPolicy.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void APolicyHoldsOneControlPolicyPerSectionInRegistryOrder()
    {
        RuntimePolicy policy = ControlRegistry.DefaultPolicy();

        Assert.Equal(ControlRegistry.All.Length, policy.Controls.Length);
        foreach (var (definition, control) in ControlRegistry.Pair(policy))
            _ = definition.Rules(control).ToList();   // casts to the definition's own record: a misplaced one throws
    }

    [Fact]
    public void EveryRuleIsAddedOnceHoweverManyControlsNeedIt()
    {
        // Drift, fileless and reverse shell all need execve: one rule, else the filter grows
        // with every exec control and the second copy is dead code.
        var rules = ControlRegistry.FilterRules(ControlRegistry.DefaultPolicy());

        Assert.Equal(rules.Length, rules.Distinct().Count());
        Assert.Single(rules, rule => rule.Syscall == SyscallTable.Execve);
    }

    [Fact]
    public void ADisabledControlAddsNoRulesAndDoesNotRun()
    {
        RuntimePolicy policy = ControlRegistry.DefaultPolicy();
        RuntimePolicy noForkGuard = policy.With(policy.ForkGuard with { Enabled = false });

        Assert.Contains(ControlRegistry.FilterRules(policy), rule => rule.Syscall == SyscallTable.Fork);
        Assert.DoesNotContain(ControlRegistry.FilterRules(noForkGuard), rule => rule.Syscall == SyscallTable.Fork);
        using ActiveControls controls = Start(noForkGuard);
        Assert.Null(controls.Find<ForkGuard>());
        Assert.NotNull(controls.Find<DriftPrevention>());
    }

    [Fact]
    public void TheSummaryNamesEveryControlOnOrOff()
    {
        RuntimePolicy policy = ControlRegistry.DefaultPolicy();
        string summary = ControlRegistry.Describe(policy.With(policy.ForkGuard with { Enabled = false }));

        Assert.Contains("fileless exec enforce; reverse shell enforce (0 allowed process(es), 0 allowed network(s)); ", summary);
        Assert.Contains("drift prevention enforce (0 allowed pattern(s)); ", summary);
        Assert.Contains("fork guard off", summary);
        Assert.Equal(ControlRegistry.All.Length, summary.Split("; ").Length);
        foreach (ControlDefinition control in ControlRegistry.All)
            Assert.Contains(control.Title, summary);
    }

    [Theory]
    [InlineData(EnforcementMode.Enforce, EnforcementMode.Enforce, "drift", EnforcementMode.Enforce)]
    [InlineData(EnforcementMode.Audit, EnforcementMode.Enforce, "fileless", EnforcementMode.Enforce)]
    [InlineData(EnforcementMode.Audit, EnforcementMode.Audit, "drift", EnforcementMode.Audit)]
    public void AnExecNobodyCanJudgeIsReportedUnderTheControlWhoseRefusalItBecomes(
        EnforcementMode drift, EnforcementMode others, string control, EnforcementMode mode)
    {
        RuntimePolicy policy = ControlRegistry.DefaultPolicy();
        policy = policy.With(policy.DriftPrevention with { Mode = drift })
            .With(policy.BlockFilelessExec with { Mode = others })
            .With(policy.ReverseShell with { Mode = others });
        using ActiveControls controls = Start(policy);

        ExecDecision decision = controls.Undecidable("cannot inspect the file");

        Assert.Equal(control, decision.Finding!.Control);
        Assert.Equal(mode, decision.Mode);
        Assert.Equal(mode, controls.ExecFailureMode);
    }

    private ActiveControls Start(RuntimePolicy policy)
    {
        var audit = new AuditLog(_ => { });
        var services = new ControlServices(audit, new Outcome(audit), BaselineRecording.Begin(_root), null, () => 1, () => 0, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return new ActiveControls(policy, services, NullLogger.Instance);
    }
}
