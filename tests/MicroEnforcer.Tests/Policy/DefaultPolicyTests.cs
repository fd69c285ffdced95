using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class DefaultPolicyTests
{
    [Fact]
    public void Load_GivesDriftPreventionEnforcedWithNoExceptions()
    {
        var policy = DefaultPolicy.Load();

        Assert.Equal(new RuntimePolicy("default", EnforcementMode.Enforce, new DriftPreventionPolicy(true, EnforcementMode.Enforce, [])), policy);
    }

    [Fact]
    public void Text_IsTheEmbeddedCommentedYaml()
    {
        Assert.Contains("apiVersion: microenforcer.dev/v1", DefaultPolicy.Text, StringComparison.Ordinal);
        Assert.Contains("# ", DefaultPolicy.Text, StringComparison.Ordinal);
        Assert.True(PolicyLoader.Parse(DefaultPolicy.Text, DefaultPolicy.ResourceName).Succeeded);
    }
}
