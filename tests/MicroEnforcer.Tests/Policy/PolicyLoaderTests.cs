using System.Text;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class PolicyLoaderTests
{
    // Every field of spec, in the order the binder reads them: mode, each control's section, allowIoUring, audit.
    private static readonly string SpecFields = string.Join(", ", ["mode", .. ControlRegistry.All.Select(c => c.Name), "allowIoUring", "audit"]);

    private const string ExampleYaml = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        metadata: { name: default }
        spec:
          mode: enforce            # enforce | audit
          driftPrevention:
            enabled: true
            allowedExecutables: []  # glob patterns of paths that may run even if drifted
        """;

    private const string ExampleJson = """
        {
          "apiVersion": "microenforcer.dev/v1",
          "kind": "RuntimePolicy",
          "metadata": { "name": "default" },
          "spec": {
            "mode": "enforce",
            "driftPrevention": {
              "enabled": true,
              "allowedExecutables": []
            }
          }
        }
        """;

    [Fact]
    public void Example_Parses()
    {
        var policy = Load(ExampleYaml);

        Assert.Equal("default", policy.Name);
        Assert.Equal(EnforcementMode.Enforce, policy.Mode);
        Assert.True(policy.DriftPrevention.Enabled);
        Assert.Equal(EnforcementMode.Enforce, policy.DriftPrevention.Mode);
        Assert.Empty(policy.DriftPrevention.AllowedExecutables);
    }

    [Fact]
    public void Json_ParsesToTheSamePolicyAsYaml()
    {
        Assert.Equal(Load(ExampleYaml), Load(ExampleJson));
    }

    [Fact]
    public void AllowedExecutables_AreCompiled_AndCompareByPattern()
    {
        var yaml = Load("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              driftPrevention:
                allowedExecutables:
                  - /opt/app/**
                  - "/tmp/build-*/run"
            """);
        var json = Load("""
            {"apiVersion": "microenforcer.dev/v1", "kind": "RuntimePolicy",
             "spec": {"driftPrevention": {"allowedExecutables": ["/opt/app/**", "/tmp/build-*/run"]}}}
            """);

        Assert.Equal(yaml, json);
        Assert.Equal(yaml.GetHashCode(), json.GetHashCode());
        var allowed = yaml.DriftPrevention.AllowedExecutables;
        Assert.Equal(["/opt/app/**", "/tmp/build-*/run"], allowed.Select(g => g.Pattern));
        Assert.True(allowed[0].Matches("/opt/app/bin/server"));
        Assert.True(allowed[1].Matches("/tmp/build-7/run"));
        Assert.Contains("AllowedExecutables = [/opt/app/**, /tmp/build-*/run]", yaml.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_ApplyWhenFieldsAreAbsent()
    {
        var policy = Load("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec: {}
            """);

        Assert.Equal(
            new RuntimePolicy(
                "unnamed",
                EnforcementMode.Enforce,
                [   // in the registry's order
                    new FilelessExecPolicy(true, EnforcementMode.Enforce),
                    new ReverseShellPolicy(true, EnforcementMode.Enforce, [], [], ReverseShellPolicy.DefaultInterpreters),
                    new ExecutablesBlockedPolicy(false, EnforcementMode.Enforce, []),
                    new FileBlockPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, []),
                    new PackageBlockPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, []),
                    new DriftPreventionPolicy(true, EnforcementMode.Enforce, []),
                    new ExecutablesAllowedPolicy(false, EnforcementMode.Enforce, []),
                    new ForkGuardPolicy(true, EnforcementMode.Enforce, ForkGuardPolicy.DefaultMaxProcesses),
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
                    new ForensicsPolicy(false, ForensicsControl.DefaultAggregateAfter, ForensicsControl.DefaultIntervalSeconds, ForensicsControl.DefaultMaxTrackedProcesses),
                ]),
            policy);
    }

    [Fact]
    public void DriftPrevention_InheritsSpecMode()
    {
        var policy = Load("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: audit
            """);

        Assert.Equal(EnforcementMode.Audit, policy.Mode);
        Assert.Equal(EnforcementMode.Audit, policy.DriftPrevention.Mode);
        Assert.True(policy.DriftPrevention.Enabled);
    }

    [Theory]
    [InlineData("enforce", "audit", EnforcementMode.Audit)]
    [InlineData("audit", "enforce", EnforcementMode.Enforce)]
    public void DriftPrevention_ModeOverridesSpecMode(string specMode, string controlMode, EnforcementMode expected)
    {
        var policy = Load($"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: {specMode}
              driftPrevention:
                mode: {controlMode}
            """);

        Assert.Equal(expected, policy.DriftPrevention.Mode);
        Assert.NotEqual(expected, policy.Mode);
    }

    [Fact]
    public void DriftPrevention_CanBeDisabled()
    {
        var policy = Load("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              driftPrevention:
                enabled: false
            """);

        Assert.False(policy.DriftPrevention.Enabled);
    }

    [Theory]
    [InlineData("yes", "'yes'")]
    [InlineData("no", "'no'")]
    [InlineData("on", "'on'")]
    [InlineData("off", "'off'")]
    [InlineData("True", "'True'")]
    [InlineData("1", "'1'")]
    [InlineData("\"true\"", "the quoted string \"true\"")]
    [InlineData("", "an empty value")]
    [InlineData("[true]", "a list")]
    public void Enabled_AcceptsOnlyTrueOrFalse(string value, string described)
    {
        var errors = Errors($"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              driftPrevention:
                enabled: {value}
            """);

        var error = Assert.Single(errors);
        Assert.Equal("spec.driftPrevention.enabled", error.Field);
        Assert.Equal($"expected a boolean (true or false), got {described}", error.Message);
        Assert.Equal(5, error.Line);
    }

    [Theory]
    [InlineData("Enforce", "invalid mode 'Enforce'; allowed values: enforce, audit (values are case-sensitive)")]
    [InlineData("block", "invalid mode 'block'; allowed values: enforce, audit")]
    [InlineData("{}", "expected a mode (allowed values: enforce, audit), got a mapping")]
    public void Mode_MustBeEnforceOrAudit(string value, string message)
    {
        var error = Assert.Single(Errors($"""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: {value}
            """));

        Assert.Equal(("spec.mode", 4, 9, message), (error.Field, error.Line, error.Column, error.Message));
    }

    [Fact]
    public void UnknownFields_AreReported_WithSuggestions()
    {
        var errors = Errors("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              Mode: audit
              driftPrevention:
                enabeld: true
                frobnicate: 1
            """);

        Assert.Equal(
            [
                "t.yaml:4:3: spec.Mode: unknown field 'Mode'; did you mean 'mode'? (allowed: " + SpecFields + ")",
                "t.yaml:6:5: spec.driftPrevention.enabeld: unknown field 'enabeld'; did you mean 'enabled'? (allowed: enabled, mode, allowedExecutables)",
                "t.yaml:7:5: spec.driftPrevention.frobnicate: unknown field 'frobnicate' (allowed: enabled, mode, allowedExecutables)",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void AllErrors_AreCollected_InFileOrder()
    {
        var errors = Errors("""
            kind: Policy
            spec:
              driftPrevention:
                allowedExecutables: [bin/sh, "/ok/*", 3, {}]
              mode: Audit
            extra: 1
            """);

        Assert.Equal(
            [
                (1, 1, "apiVersion"),
                (1, 7, "kind"),
                (4, 26, "spec.driftPrevention.allowedExecutables[0]"),
                (4, 43, "spec.driftPrevention.allowedExecutables[2]"),
                (4, 46, "spec.driftPrevention.allowedExecutables[3]"),
                (5, 9, "spec.mode"),
                (6, 1, "extra"),
            ],
            errors.Select(e => (e.Line, e.Column, e.Field)));
    }

    [Fact]
    public void SyntaxErrors_AreReportedAsASingleError()
    {
        var result = ControlRegistry.ParsePolicy("apiVersion: microenforcer.dev/v1\nkind: \"RuntimePolicy\n", "t.yaml");

        Assert.False(result.Succeeded);
        Assert.Null(result.Policy);
        Assert.Equal("t.yaml:2:7: kind: unterminated double-quoted string: missing closing '\"' on this line", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void LoadFile_ReadsTheFile_AndNamesItInErrors()
    {
        string dir = Directory.CreateTempSubdirectory("policy-test-").FullName;
        try
        {
            string good = Path.Combine(dir, "good.yaml");
            File.WriteAllText(good, ExampleYaml);
            string bad = Path.Combine(dir, "bad.yaml");
            File.WriteAllText(bad, "apiVersion: v2\nkind: RuntimePolicy\nspec: {}\n");

            Assert.Equal(Load(ExampleYaml), ControlRegistry.LoadPolicyFile(good).Policy);
            Assert.Equal($"{bad}:1:13: apiVersion: unsupported apiVersion 'v2'; it must be 'microenforcer.dev/v1'", Assert.Single(ControlRegistry.LoadPolicyFile(bad).Errors).ToString());
            Assert.Equal(new PolicyError(dir, 0, 0, "(file)", "the path is a directory, not a policy file"), Assert.Single(ControlRegistry.LoadPolicyFile(dir).Errors));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadFile_MissingFile_IsOneErrorOnLineZero()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-policy-{Guid.NewGuid():N}.yaml");

        var result = ControlRegistry.LoadPolicyFile(path);

        Assert.False(result.Succeeded);
        Assert.Equal($"{path}:0:0: (file): policy file not found", Assert.Single(result.Errors).ToString());
    }

    [Theory]
    [InlineData("enabeld", "enabled")]
    [InlineData("Enabled", "enabled")]
    [InlineData("mod", "mode")]
    [InlineData("allowedExecutable", "allowedExecutables")]
    [InlineData("alowedExecutabels", "allowedExecutables")]
    [InlineData("xyz", null)]
    [InlineData("labels", null)]
    public void FieldNameSuggester_SuggestsOnlyNearMisses(string unknown, string? expected)
    {
        Assert.Equal(expected, FieldNameSuggester.Closest(unknown, ["enabled", "mode", "allowedExecutables"]));
    }

    [Fact]
    public void DamagedPolicies_GiveErrorsNotExceptions()
    {
        // Deterministic fuzzing: whatever the damage, the loader must answer with errors, never throw.
        var random = new Random(12345);
        const string Alphabet = " \t\n:-#[]{},\"'\\&*!|>?%@`~x1/";
        for (int i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder(random.Next(2) == 0 ? ExampleYaml : ExampleJson);
            for (int edits = random.Next(1, 6); edits > 0 && text.Length > 0; edits--)
            {
                int at = random.Next(text.Length);
                char c = Alphabet[random.Next(Alphabet.Length)];
                switch (random.Next(3))
                {
                    case 0:
                        text.Remove(at, 1);
                        break;
                    case 1:
                        text.Insert(at, c);
                        break;
                    default:
                        text[at] = c;
                        break;
                }
            }

            var result = ControlRegistry.ParsePolicy(text.ToString(), "fuzz.yaml");

            Assert.True(result.Succeeded != result.Errors.Count > 0, text.ToString());
        }
    }

    [Fact]
    public void PolicyError_FormatsLikeACompilerDiagnostic()
    {
        Assert.Equal("p.yaml:3:5: spec.mode: bad", new PolicyError("p.yaml", 3, 5, "spec.mode", "bad").ToString());
    }

    private static RuntimePolicy Load(string text)
    {
        var result = ControlRegistry.ParsePolicy(text, "t.yaml");
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Empty(result.Errors);
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
