using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>
/// Each directory under testassets/policy holds a bad policy (policy.yaml or policy.json) and the
/// exact errors it must produce in expected-errors.txt, one <see cref="PolicyError"/> per line.
/// </summary>
public class GoldenPolicyTests
{
    private static readonly string CasesRoot = Path.Combine(AppContext.BaseDirectory, "testassets", "policy");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        if (!Directory.Exists(CasesRoot))
        {
            return cases; // reported by CasesAreDeployed
        }

        foreach (string dir in Directory.GetDirectories(CasesRoot).Order(StringComparer.Ordinal))
        {
            cases.Add(Path.GetFileName(dir));
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadPolicy_ProducesTheExpectedErrors(string caseName)
    {
        string dir = Path.Combine(CasesRoot, caseName);
        string policyFile = new[] { "policy.yaml", "policy.json" }.Select(f => Path.Combine(dir, f)).Single(File.Exists);
        string[] expected = File.ReadAllLines(Path.Combine(dir, "expected-errors.txt")).Where(l => l.Length > 0).ToArray();

        var result = ControlRegistry.ParsePolicy(File.ReadAllText(policyFile), Path.GetFileName(policyFile));

        Assert.False(result.Succeeded);
        Assert.Equal(expected, result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void CasesAreDeployed()
    {
        Assert.True(Directory.Exists(CasesRoot), $"{CasesRoot} is missing: testassets are not copied to the output");
        Assert.True(Directory.GetDirectories(CasesRoot).Length >= 10);
    }
}
