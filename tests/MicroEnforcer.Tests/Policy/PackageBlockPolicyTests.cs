using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The packageBlock section.</summary>
public class PackageBlockPolicyTests
{
    private const string Header = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy

        """;

    [Fact]
    public void IsOffByDefault_AndUntilSomethingIsListed()
    {
        RuntimePolicy absent = Load(Header + "spec: { mode: enforce }");
        RuntimePolicy empty = Load(Header + "spec:\n  packageBlock: { enabled: true, packages: [] }\n");

        Assert.Equal(new PackageBlockPolicy(false, EnforcementMode.Enforce, FallbackMode.Refuse, []), absent.PackageBlock);
        Assert.Equal(absent.PackageBlock, empty.PackageBlock);
        Assert.False(ControlRegistry.DefaultPolicy().PackageBlock.Enabled);
        Assert.Contains("package block off", ControlRegistry.Describe(absent), StringComparison.Ordinal);
    }

    [Fact]
    public void Parses_WithItsModeAndFallback()
    {
        RuntimePolicy policy = Load(Header + """
            spec:
              packageBlock:
                enabled: true
                mode: audit
                fallback: audit
                packages: [netcat-openbsd, nmap, curl, libstdc++6, py3-foo_bar]
            """);

        Assert.Equal(new PackageBlockPolicy(true, EnforcementMode.Audit, FallbackMode.Audit,
            ["netcat-openbsd", "nmap", "curl", "libstdc++6", "py3-foo_bar"]), policy.PackageBlock);
        Assert.Contains("package block audit (5 package(s))", ControlRegistry.Describe(policy), StringComparison.Ordinal);
        Assert.Contains(ControlRegistry.FilterRules(policy), rule => rule.ToString().Contains("execve", StringComparison.Ordinal));
    }

    [Fact]
    public void BadNames_AreReportedWithLineColumnAndReason()
    {
        var errors = Errors(Header + """
            spec:
              packageBlock:
                enabled: true
                fallback: warn
                packages:
                  - curl
                  - Curl
                  - libc6:i386
                  - "nc*"
                  - x
                  - [nested]
            """);

        Assert.Equal(
            [
                "t.yaml:6:15: spec.packageBlock.fallback: invalid fallback 'warn'; allowed values: refuse (do not start), audit (run the control in audit mode)",
                "t.yaml:9:9: spec.packageBlock.packages[1]: invalid package name 'Curl': a package name starts with a lowercase letter or a digit",
                "t.yaml:10:9: spec.packageBlock.packages[2]: invalid package name 'libc6:i386': no architecture qualifier; the name alone stands for every installed architecture",
                "t.yaml:11:9: spec.packageBlock.packages[3]: invalid package name 'nc*': '*' is not allowed (lowercase letters, digits, '+', '-', '.', '_')",
                "t.yaml:12:9: spec.packageBlock.packages[4]: invalid package name 'x': a package name has at least two characters",
                "t.yaml:13:9: spec.packageBlock.packages[5]: expected a package name, got a list",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void AListThatIsNotAList_IsAnError()
    {
        var errors = Errors(Header + "spec:\n  packageBlock: { enabled: true, packages: curl }\n");

        Assert.Equal(["t.yaml:4:44: spec.packageBlock.packages: expected a list of package names (e.g. [netcat-openbsd, curl]), got 'curl'"],
            errors.Select(e => e.ToString()));
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
