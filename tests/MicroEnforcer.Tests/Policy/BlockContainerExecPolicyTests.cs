using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>spec.blockContainerExec: its fields, defaults and errors, and what the running control decides.</summary>
public class BlockContainerExecPolicyTests
{
    private const string Header = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy

        """;

    [Fact]
    public void IsOffUnlessThePolicyTurnsItOn()
    {
        Assert.False(Load(Header + "spec: {}").BlockContainerExec.Enabled);
        Assert.False(ControlRegistry.DefaultPolicy().BlockContainerExec.Enabled);
        Assert.Empty(ControlRegistry.DefaultPolicy().BlockContainerExec.AllowedCommands);
    }

    [Fact]
    public void Parses_ModeAndAllowedCommands()
    {
        var policy = Load(Header + """
            spec:
              mode: enforce
              blockContainerExec:
                enabled: true
                mode: audit
                allowedCommands: [/usr/bin/cat, "/opt/probes/*"]
            """).BlockContainerExec;

        Assert.True(policy.Enabled);
        Assert.Equal(EnforcementMode.Audit, policy.Mode);
        Assert.Equal(["/usr/bin/cat", "/opt/probes/*"], policy.AllowedCommands.Select(glob => glob.Pattern));
    }

    [Fact]
    public void FollowsSpecMode_WhenItHasNoneOfItsOwn()
    {
        Assert.Equal(EnforcementMode.Audit, Load(Header + "spec:\n  mode: audit\n  blockContainerExec: { enabled: true }\n").BlockContainerExec.Mode);
        Assert.Equal(EnforcementMode.Enforce, Load(Header + "spec:\n  blockContainerExec: { enabled: true }\n").BlockContainerExec.Mode);
    }

    [Fact]
    public void ARelativeCommand_IsRefusedWithItsPlace()
    {
        var error = Assert.Single(Errors(Header + "spec:\n  blockContainerExec: { enabled: true, allowedCommands: [cat] }\n"));

        Assert.Equal("spec.blockContainerExec.allowedCommands[0]", error.Field);
        Assert.Equal(4, error.Line);
        Assert.Contains("invalid glob 'cat': the pattern must be an absolute path", error.Message);
    }

    [Fact]
    public void AMisspelledField_IsRefusedWithASuggestion()
    {
        var error = Assert.Single(Errors(Header + "spec:\n  blockContainerExec: { allowedCommand: [/bin/true] }\n"));

        Assert.Equal("unknown field 'allowedCommand'; did you mean 'allowedCommands'? (allowed: enabled, mode, allowedCommands)", error.Message);
    }

    [Fact]
    public void EqualPolicies_CompareEqual()
    {
        string text = Header + "spec:\n  blockContainerExec: { enabled: true, allowedCommands: [/usr/bin/cat] }\n";
        Assert.Equal(Load(text), Load(text));
        Assert.Equal(Load(text).GetHashCode(), Load(text).GetHashCode());
        Assert.NotEqual(Load(text), Load(text.Replace("cat", "tac", StringComparison.Ordinal)));
    }

    [Fact]
    public void Control_RefusesEverySession_ExceptAllowedFirstPrograms()
    {
        var control = new BlockContainerExec(Load(Header + "spec:\n  blockContainerExec: { enabled: true, allowedCommands: [/usr/bin/cat] }\n").BlockContainerExec);

        Assert.Null(control.Evaluate(Program("/usr/bin/cat"), seizedAfterExec: false));
        Assert.Null(control.Evaluate(Program("/usr/bin/cat"), seizedAfterExec: true));
        ControlFinding refused = control.Evaluate(Program("/usr/bin/dash"), seizedAfterExec: false)!;
        Assert.Equal("blockContainerExec", refused.Control);
        Assert.Contains("execs /usr/bin/dash, which is not in allowedCommands", refused.Reason);
        Assert.Contains("had exec'd /usr/bin/dash before it could be decided", control.Evaluate(Program("/usr/bin/dash"), seizedAfterExec: true)!.Reason);
        // `microenforcer exec` cannot be exempted: its command is not resolved before it runs.
        Assert.Equal("exec sessions are blocked (spec.blockContainerExec)", control.EvaluateJoin()!.Reason);
    }

    private static ExecTarget Program(string path) => new(42, path, default(FileSignature), $"/proc/42/exe", ExecTarget.LastComponent(path));

    private static RuntimePolicy Load(string text)
    {
        var result = ControlRegistry.ParsePolicy(text, "t.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Policy;
    }

    private static IReadOnlyList<PolicyError> Errors(string text)
    {
        var result = ControlRegistry.ParsePolicy(text, "t.yaml");
        Assert.False(result.Succeeded);
        return result.Errors;
    }
}
