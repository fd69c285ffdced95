using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The executablesAllowed and executablesBlocked sections.</summary>
public class ExecutablesPolicyTests
{
    private const string Header = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy

        """;

    [Fact]
    public void BothAreOffByDefault_SoExistingPoliciesSeeNoChange()
    {
        RuntimePolicy policy = Load(Header + "spec: { mode: enforce }");

        Assert.False(policy.ExecutablesAllowed.Enabled);
        Assert.False(policy.ExecutablesBlocked.Enabled);
        Assert.Empty(policy.ExecutablesAllowed.Executables);
        Assert.Contains("executables allowed off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
        Assert.Contains("executables blocked off", ControlRegistry.Describe(policy), StringComparison.Ordinal);
        Assert.False(ControlRegistry.DefaultPolicy().ExecutablesAllowed.Enabled);
        Assert.False(ControlRegistry.DefaultPolicy().ExecutablesBlocked.Enabled);
    }

    [Fact]
    public void Sections_Parse_WithTheirModes()
    {
        RuntimePolicy policy = Load(Header + """
            spec:
              mode: enforce
              executablesAllowed:
                enabled: true
                mode: audit
                executables: [/opt/app/*, nginx, "python3*"]
              executablesBlocked:
                enabled: true
                executables:
                  - nc
                  - /usr/bin/ssh*
            """);

        Assert.True(policy.ExecutablesAllowed.Enabled);
        Assert.Equal(EnforcementMode.Audit, policy.ExecutablesAllowed.Mode);
        Assert.Equal(["/opt/app/*", "nginx", "python3*"], policy.ExecutablesAllowed.Executables.Select(e => e.Text));
        Assert.Equal(EnforcementMode.Enforce, policy.ExecutablesBlocked.Mode);
        Assert.Equal(["nc", "/usr/bin/ssh*"], policy.ExecutablesBlocked.Executables.Select(e => e.Text));
        string summary = ControlRegistry.Describe(policy);
        Assert.Contains("executables allowed audit (3 executable(s))", summary, StringComparison.Ordinal);
        Assert.Contains("executables blocked enforce (2 executable(s))", summary, StringComparison.Ordinal);
        Assert.Equal(policy, Load(Header + """
            spec:
              mode: enforce
              executablesAllowed: { enabled: true, mode: audit, executables: [/opt/app/*, nginx, "python3*"] }
              executablesBlocked: { enabled: true, executables: [nc, /usr/bin/ssh*] }
            """));
    }

    [Fact]
    public void AnEnabledAllowListWithoutEntries_AllowsAll_AndSaysSo()
    {
        RuntimePolicy policy = Load(Header + "spec: { executablesAllowed: { enabled: true } }");

        Assert.Contains("executables allowed enforce (no list: all may run)", ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void BadEntries_AreReportedWithLineAndColumn()
    {
        var errors = Errors(Header + """
            spec:
              executablesAllowed:
                enabled: true
                executables:
                  - bin/sh
                  - ""
                  - /usr/bin/[x
                  - [nested]
              executablesBlocked: { executables: curl, enable: true }
            """);

        Assert.Equal(
            [
                "t.yaml:7:9: spec.executablesAllowed.executables[0]: 'bin/sh' is a relative path: give an absolute path glob (e.g. '/bin/sh') or a file name (e.g. 'sh')",
                "t.yaml:8:9: spec.executablesAllowed.executables[1]: the entry is empty: give an absolute path glob (e.g. /usr/bin/curl) or a file name (e.g. curl)",
                "t.yaml:9:9: spec.executablesAllowed.executables[2]: invalid glob '/usr/bin/[x': ",
                "t.yaml:10:9: spec.executablesAllowed.executables[3]: expected an absolute path glob or a file name, got a list",
                "t.yaml:11:38: spec.executablesBlocked.executables: expected a list of executables (absolute path globs or file names), got 'curl'",
                "t.yaml:11:44: spec.executablesBlocked.enable: unknown field 'enable'; did you mean 'enabled'? (allowed: enabled, mode, executables)",
            ],
            errors.Select(e => e.ToString()).Select(e => e.Contains("invalid glob", StringComparison.Ordinal) ? e[..(e.IndexOf("': ", StringComparison.Ordinal) + 3)] : e));
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
        return result.Errors;
    }
}
