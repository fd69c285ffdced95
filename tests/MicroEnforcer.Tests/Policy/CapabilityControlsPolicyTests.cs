using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

/// <summary>The capabilitiesBlock and limitNewPrivileges sections, and the capability names.</summary>
public class CapabilityControlsPolicyTests
{
    private const string Header = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy

        """;

    private const ulong NetRaw = 1UL << 13, SysPtrace = 1UL << 19, SysAdmin = 1UL << 21;

    [Fact]
    public void CapabilitiesBlock_IsOff_UntilSomethingIsListed()
    {
        var absent = Load(Header + "spec: {}");
        var empty = Load(Header + "spec:\n  capabilitiesBlock: { enabled: true, capabilities: [] }\n");

        Assert.Equal(new CapabilitiesBlockPolicy(false, EnforcementMode.Enforce, 0), absent.CapabilitiesBlock);
        Assert.Equal(absent, empty);
        Assert.Contains("capabilities block off", ControlRegistry.Describe(absent), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[NET_RAW, SYS_ADMIN]")]
    [InlineData("[CAP_NET_RAW, cap_sys_admin]")]
    [InlineData("[net_raw, Sys_Admin, NET_RAW]")]
    [InlineData("[\" NET_RAW \", CAP_SYS_ADMIN]")]
    public void CapabilitiesBlock_NamesAreCaseInsensitive_WithOrWithoutCapPrefix(string list)
    {
        var policy = Load(Header + $"spec:\n  capabilitiesBlock: {{ capabilities: {list} }}\n");

        Assert.Equal(new CapabilitiesBlockPolicy(true, EnforcementMode.Enforce, NetRaw | SysAdmin), policy.CapabilitiesBlock);
    }

    [Fact]
    public void CapabilitiesBlock_AllIsEveryCapabilityTheKernelDefines()
    {
        var policy = Load(Header + "spec:\n  capabilitiesBlock: { capabilities: [all] }\n");

        Assert.Equal((1UL << 41) - 1, policy.CapabilitiesBlock.Capabilities);
        Assert.Equal("CHECKPOINT_RESTORE", LinuxCapability.Name(40));
        Assert.Equal("capability 41", LinuxCapability.Name(41));
    }

    [Theory]
    [InlineData("enforce", "capabilities block enforce (removes NET_RAW, SYS_PTRACE, SYS_ADMIN at launch)")]
    [InlineData("audit", "capabilities block audit (reports NET_RAW, SYS_PTRACE, SYS_ADMIN held at launch)")]
    public void CapabilitiesBlock_FollowsSpecMode_AndDescribesItself_InNumberOrder(string mode, string summary)
    {
        var policy = Load(Header + $"spec:\n  mode: {mode}\n  capabilitiesBlock: {{ capabilities: [SYS_ADMIN, SYS_PTRACE, NET_RAW] }}\n");

        Assert.Equal(NetRaw | SysPtrace | SysAdmin, policy.CapabilitiesBlock.Capabilities);
        Assert.Contains(summary, ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void CapabilitiesBlock_BadNames_AreReported_WithLineColumnAndSuggestion()
    {
        var errors = Errors(Header + """
            spec:
              capabilitiesBlock:
                mode: audit
                capabilities: [NET_RAWW, CAP_SYSADMIN, 13, FROBNICATE, "", [x]]
            """);

        const string Names = "(capability names as in capabilities(7), with or without CAP_, e.g. NET_RAW, SYS_ADMIN; or ALL)";
        Assert.Equal(
            [
                "t.yaml:6:20: spec.capabilitiesBlock.capabilities[0]: unknown capability 'NET_RAWW'; did you mean 'NET_RAW'?",
                "t.yaml:6:30: spec.capabilitiesBlock.capabilities[1]: unknown capability 'CAP_SYSADMIN'; did you mean 'SYS_ADMIN'?",
                $"t.yaml:6:44: spec.capabilitiesBlock.capabilities[2]: unknown capability '13' {Names}",
                $"t.yaml:6:48: spec.capabilitiesBlock.capabilities[3]: unknown capability 'FROBNICATE' {Names}",
                $"t.yaml:6:60: spec.capabilitiesBlock.capabilities[4]: unknown capability '' {Names}",
                "t.yaml:6:64: spec.capabilitiesBlock.capabilities[5]: expected a capability name such as NET_RAW, got a list",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void CapabilitiesBlock_NotAList_AndUnknownFields_AreReported()
    {
        var errors = Errors(Header + """
            spec:
              capabilitiesBlock: { capabilities: NET_RAW, capability: [] }
            """);

        Assert.Equal(
            [
                "t.yaml:4:38: spec.capabilitiesBlock.capabilities: expected a list of capability names (e.g. [NET_RAW, SYS_ADMIN]), got 'NET_RAW'",
                "t.yaml:4:47: spec.capabilitiesBlock.capability: unknown field 'capability'; did you mean 'capabilities'? (allowed: enabled, mode, capabilities)",
            ],
            errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("spec: {}")]
    [InlineData("spec:\n  mode: audit\n")]
    [InlineData("spec:\n  limitNewPrivileges: {}\n")]
    [InlineData("spec:\n  limitNewPrivileges: { enabled: true, mode: enforce }\n")]
    public void LimitNewPrivileges_IsAlwaysOnAndEnforced_WhateverSpecModeSays(string spec)
    {
        var policy = Load(Header + spec);

        Assert.Equal(new LimitNewPrivilegesPolicy(), policy.LimitNewPrivileges);
        Assert.True(policy.LimitNewPrivileges.Enforces);
        Assert.Contains("limit new privileges enforce (NO_NEW_PRIVS: setuid, setgid and file capabilities do not elevate)",
            ControlRegistry.Describe(policy), StringComparison.Ordinal);
    }

    [Fact]
    public void LimitNewPrivileges_CannotBeTurnedOff_NorOnlyAudit()
    {
        var errors = Errors(Header + """
            spec:
              limitNewPrivileges: { enabled: false, mode: audit, enable: true }
            """);

        Assert.Equal(
            [
                "t.yaml:4:34: spec.limitNewPrivileges.enabled: this control cannot be turned off: the enforcer's seccomp filter is only installed together with NO_NEW_PRIVS",
                "t.yaml:4:47: spec.limitNewPrivileges.mode: this control cannot only audit: the enforcer's seccomp filter is only installed together with NO_NEW_PRIVS, so its mode can only be 'enforce'",
                "t.yaml:4:54: spec.limitNewPrivileges.enable: unknown field 'enable'; did you mean 'enabled'? (allowed: mode, enabled)",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void CapabilitySets_AreReadFromProcStatus()
    {
        const string Status = "Name:\tping\nCapInh:\t0000000000000000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\n"
            + "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000002000\nNoNewPrivs:\t1\nSeccomp:\t2\n";

        CapabilitySets sets = Capabilities.Parse(Status);

        Assert.Equal(new CapabilitySets(NetRaw, NetRaw, 0, (1UL << 41) - 1, NetRaw, NoNewPrivs: true), sets);
        Assert.Equal(["bounding", "effective", "permitted", "ambient"], sets.Holding(NetRaw));
        Assert.Equal(["bounding"], sets.Holding(SysAdmin));
        Assert.Equal("NoNewPrivs 1, CapBnd 000001ffffffffff, CapEff 0000000000002000, CapPrm 0000000000002000, CapInh 0000000000000000, CapAmb 0000000000002000",
            sets.ToString());
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
