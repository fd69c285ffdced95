using System.Net;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The blockFilelessExec, forkGuard and reverseShell controls.</summary>
public class PolicyControlsTests
{
    // Every field of spec, in the order the binder reads them: mode, each control's section, allowIoUring.
    private static readonly string SpecFields = string.Join(", ", ["mode", .. ControlRegistry.All.Select(c => c.Name), "allowIoUring", "audit"]);

    private const string Header = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy

        """;

    private const string FullYaml = Header + """
        metadata: { name: web }
        spec:
          mode: enforce
          blockFilelessExec: { enabled: true, mode: audit }
          forkGuard: { enabled: true, maxProcesses: 200 }
          reverseShell:
            enabled: true
            allowedProcesses: [/opt/app/bin/*, "/usr/local/bin/agent"]
            allowedAddresses:
              - 10.0.0.0/8
              - 192.168.1.5
              - ::1/128
              - fd00::/8
            interpreters: [sh, bash, python*]
        """;

    private const string FullJson = """
        {
          "apiVersion": "microenforcer.dev/v1",
          "kind": "RuntimePolicy",
          "metadata": {"name": "web"},
          "spec": {
            "mode": "enforce",
            "blockFilelessExec": {"enabled": true, "mode": "audit"},
            "forkGuard": {"enabled": true, "maxProcesses": 200},
            "reverseShell": {
              "enabled": true,
              "allowedProcesses": ["/opt/app/bin/*", "/usr/local/bin/agent"],
              "allowedAddresses": ["10.0.0.0/8", "192.168.1.5", "::1/128", "fd00::/8"],
              "interpreters": ["sh", "bash", "python*"]
            }
          }
        }
        """;

    // ---- Parsing ---------------------------------------------------------------------------------

    [Fact]
    public void AllControls_Parse()
    {
        var policy = Load(FullYaml);

        Assert.Equal(new FilelessExecPolicy(true, EnforcementMode.Audit), policy.BlockFilelessExec);
        Assert.Equal(new ForkGuardPolicy(true, EnforcementMode.Enforce, 200), policy.ForkGuard);
        ReverseShellPolicy reverseShell = policy.ReverseShell;
        Assert.True(reverseShell.Enabled);
        Assert.Equal(EnforcementMode.Enforce, reverseShell.Mode);
        Assert.Equal(["/opt/app/bin/*", "/usr/local/bin/agent"], reverseShell.AllowedProcesses.Select(g => g.Pattern));
        Assert.Equal(["10.0.0.0/8", "192.168.1.5/32", "::1/128", "fd00::/8"], reverseShell.AllowedAddresses.Select(n => n.ToString()));
        Assert.Equal(["sh", "bash", "python*"], reverseShell.Interpreters);
        Assert.True(reverseShell.AllowedProcesses[0].Matches("/opt/app/bin/server"));
        Assert.True(reverseShell.AllowedAddresses[3].Contains(IPAddress.Parse("fd00::42")));
    }

    [Fact]
    public void Json_ParsesToTheSamePolicyAsYaml()
    {
        var yaml = Load(FullYaml);
        var json = Load(FullJson);

        Assert.Equal(yaml, json);
        Assert.Equal(yaml.GetHashCode(), json.GetHashCode());
    }

    [Fact]
    public void Policies_CompareByValue()
    {
        var a = Load(FullYaml);
        var b = Load(FullYaml);
        var fewerAddresses = Load(FullYaml.Replace("      - fd00::/8\n", "", StringComparison.Ordinal));
        var otherInterpreters = Load(FullYaml.Replace("python*", "perl*", StringComparison.Ordinal));
        var otherLimit = Load(FullYaml.Replace("200", "201", StringComparison.Ordinal));

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, fewerAddresses);
        Assert.NotEqual(a, otherInterpreters);
        Assert.NotEqual(a, otherLimit);
    }

    [Fact]
    public void ReverseShell_PrintsItsEntries()
    {
        string text = Load(FullYaml).ReverseShell.ToString();

        Assert.Equal(
            "ReverseShellPolicy { Enabled = True, Mode = Enforce, Enforces = True, AllowedProcesses = [/opt/app/bin/*, /usr/local/bin/agent], "
            + "AllowedAddresses = [10.0.0.0/8, 192.168.1.5/32, ::1/128, fd00::/8], Interpreters = [sh, bash, python*] }",
            text);
    }

    // ---- Defaults --------------------------------------------------------------------------------

    [Theory]
    [InlineData("enforce", EnforcementMode.Enforce)]
    [InlineData("audit", EnforcementMode.Audit)]
    public void AbsentControls_AreOn_AndInheritSpecMode(string specMode, EnforcementMode expected)
    {
        var policy = Load(Header + $"spec: {{ mode: {specMode} }}");

        Assert.Equal(new FilelessExecPolicy(true, expected), policy.BlockFilelessExec);
        Assert.Equal(new ForkGuardPolicy(true, expected, 1024), policy.ForkGuard);
        Assert.Equal(new ReverseShellPolicy(true, expected, [], [], ReverseShellPolicy.DefaultInterpreters), policy.ReverseShell);
    }

    [Fact]
    public void EmptyControlMappings_GiveTheDefaults()
    {
        var policy = Load(Header + """
            spec:
              blockFilelessExec: {}
              forkGuard: {}
              reverseShell: {}
            """);

        Assert.Equal(Load(Header + "spec: {}"), policy);
    }

    [Fact]
    public void EmptyControlValues_AreRefused_LikeDriftPrevention()
    {
        // "forkGuard:" with nothing after it is more likely a half-edited file than a wish for defaults.
        var errors = Errors(Header + """
            spec:
              driftPrevention:
              blockFilelessExec:
              forkGuard:
              reverseShell:
            """);

        Assert.Equal(
            ["spec.driftPrevention", "spec.blockFilelessExec", "spec.forkGuard", "spec.reverseShell"],
            errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.Equal("expected a mapping, got an empty value", e.Message));
    }

    [Fact]
    public void Controls_CanBeDisabled()
    {
        var policy = Load(Header + """
            spec:
              blockFilelessExec: { enabled: false }
              forkGuard: { enabled: false }
              reverseShell: { enabled: false }
            """);

        Assert.False(policy.BlockFilelessExec.Enabled);
        Assert.False(policy.ForkGuard.Enabled);
        Assert.False(policy.ReverseShell.Enabled);
        Assert.True(policy.DriftPrevention.Enabled);
    }

    [Theory]
    [InlineData("enforce", "audit", EnforcementMode.Audit)]
    [InlineData("audit", "enforce", EnforcementMode.Enforce)]
    public void EachControlsMode_OverridesSpecMode_Independently(string specMode, string controlMode, EnforcementMode expected)
    {
        EnforcementMode inherited = expected == EnforcementMode.Audit ? EnforcementMode.Enforce : EnforcementMode.Audit;
        foreach (string control in new[] { "blockFilelessExec", "forkGuard", "reverseShell" })
        {
            var policy = Load(Header + $$"""
                spec:
                  mode: {{specMode}}
                  {{control}}: { mode: {{controlMode}} }
                """);

            var modes = new Dictionary<string, EnforcementMode>
            {
                ["driftPrevention"] = policy.DriftPrevention.Mode,
                ["blockFilelessExec"] = policy.BlockFilelessExec.Mode,
                ["forkGuard"] = policy.ForkGuard.Mode,
                ["reverseShell"] = policy.ReverseShell.Mode,
            };
            foreach ((string name, EnforcementMode mode) in modes)
            {
                Assert.True(mode == (name == control ? expected : inherited), $"{control} override: {name} is {mode}");
            }
        }
    }

    // ---- forkGuard.maxProcesses ------------------------------------------------------------------

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1024", 1024)]
    [InlineData("4194304", 4194304)]
    [InlineData("+64", 64)]
    [InlineData("0100", 100)]
    public void MaxProcesses_AcceptsIntegersInRange(string value, int expected)
    {
        Assert.Equal(expected, Load(Header + $"spec: {{ forkGuard: {{ maxProcesses: {value} }} }}").ForkGuard.MaxProcesses);
    }

    [Theory]
    [InlineData("0", "maxProcesses must be from 1 to 4194304, got 0")]
    [InlineData("-1", "maxProcesses must be from 1 to 4194304, got -1")]
    [InlineData("4194305", "maxProcesses must be from 1 to 4194304, got 4194305")]
    [InlineData("99999999999999999999999", "maxProcesses must be from 1 to 4194304, got 99999999999999999999999")]
    [InlineData("1.5", "expected an integer from 1 to 4194304, got '1.5'")]
    [InlineData("1e3", "expected an integer from 1 to 4194304, got '1e3'")]
    [InlineData("0x400", "expected an integer from 1 to 4194304, got '0x400'")]
    [InlineData("1_024", "expected an integer from 1 to 4194304, got '1_024'")]
    [InlineData("--5", "expected an integer from 1 to 4194304, got '--5'")]
    [InlineData("\"1024\"", "expected an integer from 1 to 4194304, got the quoted string \"1024\"")]
    [InlineData("'1024'", "expected an integer from 1 to 4194304, got the quoted string \"1024\"")]
    [InlineData("null", "expected an integer from 1 to 4194304, got 'null'")]
    [InlineData("[1024]", "expected an integer from 1 to 4194304, got a list")]
    [InlineData("unlimited", "expected an integer from 1 to 4194304, got 'unlimited'")]
    public void MaxProcesses_RefusesOtherValues(string value, string message)
    {
        var error = Assert.Single(Errors(Header + $"""
            spec:
              forkGuard:
                maxProcesses: {value}
            """));

        Assert.Equal(("spec.forkGuard.maxProcesses", 5, 19, message), (error.Field, error.Line, error.Column, error.Message));
    }

    [Fact]
    public void MaxProcesses_EmptyValue_IsRefused()
    {
        var error = Assert.Single(Errors(Header + "spec:\n  forkGuard:\n    maxProcesses:\n"));

        Assert.Equal("expected an integer from 1 to 4194304, got an empty value", error.Message);
    }

    // ---- reverseShell lists ----------------------------------------------------------------------

    [Fact]
    public void AllowedAddresses_ReportsEachBadEntry()
    {
        var errors = Errors(Header + """
            spec:
              reverseShell:
                allowedAddresses: [10.0.0.0/8, 10.0.0.1/8, "", {}, 10.0.0.0/33, fd00::/8, ::1/200]
            """);

        Assert.Equal(
            [
                "t.yaml:5:36: spec.reverseShell.allowedAddresses[1]: invalid network '10.0.0.1/8': host bits are set: 10.0.0.1 is not the first address of a /8 network; did you mean 10.0.0.0/8? (or 10.0.0.1/32 for the single address)",
                "t.yaml:5:48: spec.reverseShell.allowedAddresses[2]: invalid network '': the network is empty; expected an address such as 10.0.0.0/8 or fd00::/8",
                "t.yaml:5:52: spec.reverseShell.allowedAddresses[3]: expected a network in CIDR notation such as 10.0.0.0/8, got a mapping",
                "t.yaml:5:56: spec.reverseShell.allowedAddresses[4]: invalid network '10.0.0.0/33': prefix length 33 is too long for an IPv4 network; the maximum is 32",
                "t.yaml:5:79: spec.reverseShell.allowedAddresses[6]: invalid network '::1/200': prefix length 200 is too long for an IPv6 network; the maximum is 128",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void AllowedProcesses_AreAbsoluteGlobs()
    {
        var error = Assert.Single(Errors(Header + """
            spec:
              reverseShell:
                allowedProcesses: [bin/agent]
            """));

        Assert.Equal(
            "t.yaml:5:24: spec.reverseShell.allowedProcesses[0]: invalid glob 'bin/agent': the pattern must be an absolute path starting with '/'",
            error.ToString());
    }

    [Fact]
    public void Interpreters_ReplaceTheDefaultList()
    {
        var policy = Load(Header + "spec: { reverseShell: { interpreters: [bash] } }");

        Assert.Equal(["bash"], policy.ReverseShell.Interpreters);
        Assert.True(policy.ReverseShell.IsInterpreter("bash"));
        Assert.False(policy.ReverseShell.IsInterpreter("sh"));
    }

    [Fact]
    public void Interpreters_MayBeEmpty()
    {
        var policy = Load(Header + "spec: { reverseShell: { interpreters: [] } }");

        Assert.Empty(policy.ReverseShell.Interpreters);
        Assert.False(policy.ReverseShell.IsInterpreter("sh"));
    }

    [Fact]
    public void Interpreters_AreNamesNotPaths()
    {
        var errors = Errors(Header + """
            spec:
              reverseShell:
                interpreters:
                  - sh
                  - /bin/bash
                  - ""
                  - [zsh]
                  - /usr/bin/
            """);

        Assert.Equal(
            [
                "t.yaml:7:9: spec.reverseShell.interpreters[1]: invalid interpreter name '/bin/bash': give a file name, not a path (it is matched against the executable's file name); did you mean 'bash'?",
                "t.yaml:8:9: spec.reverseShell.interpreters[2]: the executable name is empty",
                "t.yaml:9:9: spec.reverseShell.interpreters[3]: expected an executable name, got a list",
                "t.yaml:10:9: spec.reverseShell.interpreters[4]: invalid interpreter name '/usr/bin/': give a file name, not a path (it is matched against the executable's file name)",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Interpreters_NotAList_IsRefused()
    {
        var error = Assert.Single(Errors(Header + "spec: { reverseShell: { interpreters: bash } }"));

        Assert.Equal("spec.reverseShell.interpreters: expected a list of executable names, got 'bash'", $"{error.Field}: {error.Message}");
    }

    // ---- Shape errors ----------------------------------------------------------------------------

    [Theory]
    [InlineData("blockFilelessExec", "true", "expected a mapping, got 'true'; write blockFilelessExec: { enabled: true }")]
    [InlineData("forkGuard", "false", "expected a mapping, got 'false'; write forkGuard: { enabled: false }")]
    [InlineData("reverseShell", "on", "expected a mapping, got 'on'")]
    [InlineData("forkGuard", "1024", "expected a mapping, got '1024'")]
    [InlineData("reverseShell", "[sh]", "expected a mapping, got a list")]
    public void Control_MustBeAMapping(string control, string value, string message)
    {
        var error = Assert.Single(Errors(Header + $"spec:\n  {control}: {value}\n"));

        Assert.Equal(($"spec.{control}", message), (error.Field, error.Message));
    }

    [Fact]
    public void UnknownFields_InTheNewControls_AreReported_WithSuggestions()
    {
        var errors = Errors(Header + """
            spec:
              blockFilelessExec: { enable: true }
              forkGuard: { maxProcess: 10 }
              reverseShell: { allowedAddress: [], interpreter: [sh], allowedProcess: [] }
              reverseshell: {}
            """);

        Assert.Equal(
            [
                "t.yaml:4:24: spec.blockFilelessExec.enable: unknown field 'enable'; did you mean 'enabled'? (allowed: enabled, mode)",
                "t.yaml:5:16: spec.forkGuard.maxProcess: unknown field 'maxProcess'; did you mean 'maxProcesses'? (allowed: enabled, mode, maxProcesses)",
                "t.yaml:6:19: spec.reverseShell.allowedAddress: unknown field 'allowedAddress'; did you mean 'allowedAddresses'? (allowed: enabled, mode, allowedProcesses, allowedAddresses, interpreters)",
                "t.yaml:6:39: spec.reverseShell.interpreter: unknown field 'interpreter'; did you mean 'interpreters'? (allowed: enabled, mode, allowedProcesses, allowedAddresses, interpreters)",
                "t.yaml:6:58: spec.reverseShell.allowedProcess: unknown field 'allowedProcess'; did you mean 'allowedProcesses'? (allowed: enabled, mode, allowedProcesses, allowedAddresses, interpreters)",
                "t.yaml:7:3: spec.reverseshell: unknown field 'reverseshell'; did you mean 'reverseShell'? (allowed: " + SpecFields + ")",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void ErrorsInEveryControl_AreCollected_InFileOrder()
    {
        var errors = Errors(Header + """
            spec:
              blockFilelessExec: { enabled: yes }
              forkGuard: { mode: Audit, maxProcesses: 0 }
              reverseShell:
                allowedAddresses: 10.0.0.0/8
                interpreters: [bin/sh]
            """);

        Assert.Equal(
            [
                (4, 33, "spec.blockFilelessExec.enabled"),
                (5, 22, "spec.forkGuard.mode"),
                (5, 43, "spec.forkGuard.maxProcesses"),
                (7, 23, "spec.reverseShell.allowedAddresses"),
                (8, 20, "spec.reverseShell.interpreters[0]"),
            ],
            errors.Select(e => (e.Line, e.Column, e.Field)));
    }

    // ---- allowIoUring -----------------------------------------------------------------------------

    [Fact]
    public void IoUring_IsRefusedUnlessThePolicyAllowsIt()
    {
        Assert.False(Load(Header + "spec: {}").AllowIoUring);
        Assert.False(ControlRegistry.DefaultPolicy().AllowIoUring);
        Assert.True(Load(Header + "spec:\n  allowIoUring: true\n").AllowIoUring);
        Assert.NotEqual(Load(Header + "spec: {}"), Load(Header + "spec:\n  allowIoUring: true\n"));
    }

    [Fact]
    public void IoUring_TakesOnlyABoolean()
    {
        var error = Assert.Single(Errors(Header + "spec:\n  allowIoUring: yes\n"));

        Assert.Equal(("spec.allowIoUring", 4, 17), (error.Field, error.Line, error.Column));
        Assert.Contains("expected a boolean", error.Message);
    }

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
        Assert.Null(result.Policy);
        return result.Errors;
    }
}
