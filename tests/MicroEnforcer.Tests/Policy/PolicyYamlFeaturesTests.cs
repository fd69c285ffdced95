using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Policy.Yaml;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>YAML as Kubernetes manifests write it, read all the way into a policy.</summary>
public class PolicyYamlFeaturesTests
{
    /// <summary>A ConfigMap that carries the policy as a block scalar, the way it is mounted into a pod.</summary>
    private const string ConfigMap = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: web-policy
          labels: {app: web, tier: front}
        data:
          policy.yaml: |
            # mounted at /etc/microenforcer/policy.yaml
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            metadata: {name: web}
            spec:
              mode: enforce
              driftPrevention:
                <<: &audited {enabled: true, mode: audit}
                allowedExecutables: [/usr/bin/python3, "/opt/app/**"]
              blockFilelessExec: *audited
              forkGuard:
                <<: *audited
                maxProcesses: 512
              reverseShell:
                <<: *audited
                mode: enforce
                allowedAddresses:
                  - 10.0.0.0/8
                  - "fd00::/8"
        """;

    [Fact]
    public void KubernetesConfigMap_CarriesAPolicyWithAnchorsAndMergeKeys()
    {
        var configMap = Assert.IsType<YamlMapping>(YamlParser.Parse(ConfigMap));
        Assert.True(configMap.TryGetValue("data", out var data));
        Assert.True(Assert.IsType<YamlMapping>(data).TryGetValue("policy.yaml", out var text));

        var result = ControlRegistry.ParsePolicy(Assert.IsType<YamlScalar>(text).Value, "policy.yaml");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        RuntimePolicy policy = result.Policy;
        Assert.Equal("web", policy.Name);
        Assert.Equal(EnforcementMode.Audit, policy.DriftPrevention.Mode);
        Assert.Equal(2, policy.DriftPrevention.AllowedExecutables.Count);
        Assert.Equal(new FilelessExecPolicy(true, EnforcementMode.Audit), policy.BlockFilelessExec);
        Assert.Equal(new ForkGuardPolicy(true, EnforcementMode.Audit, 512), policy.ForkGuard);
        Assert.Equal(EnforcementMode.Enforce, policy.ReverseShell.Mode);
        Assert.Equal(2, policy.ReverseShell.AllowedAddresses.Count);
    }

    [Fact]
    public void AliasedMapping_ReusedInTwoControls_GivesBothTheSameSettings()
    {
        var result = ControlRegistry.ParsePolicy("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              blockFilelessExec: &off {enabled: false, mode: audit}
              driftPrevention: *off
            """, "p.yaml");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.False(result.Policy.DriftPrevention.Enabled);
        Assert.False(result.Policy.BlockFilelessExec.Enabled);
        Assert.Equal(EnforcementMode.Audit, result.Policy.DriftPrevention.Mode);
    }

    [Fact]
    public void BlockScalar_IsAString_NotABoolean()
    {
        var result = ControlRegistry.ParsePolicy("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              allowIoUring: |-
                true
            """, "p.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("p.yaml:4:17: spec.allowIoUring: expected a boolean (true or false), got the quoted string \"true\"", error.ToString());
    }

    [Fact]
    public void SyntaxError_BecomesAPolicyError_WithFileLineAndColumn()
    {
        var result = ControlRegistry.ParsePolicy("""
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: enforce
                driftPrevention: {}
            """, "p.yaml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("p.yaml:5:5: spec: inconsistent indentation: found 4 spaces where 2 were expected", error.ToString());
    }
}
