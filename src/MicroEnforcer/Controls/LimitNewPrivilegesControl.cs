using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Limit New Privileges' section (<c>spec.limitNewPrivileges</c>): a declaration, not a switch.
/// The launch shim sets NO_NEW_PRIVS on the workload and every exec session before it installs
/// the filter, and refuses to start them if it cannot: an unprivileged process may only install a
/// filter under it, and the enforcer sets it even where PID 1 holds CAP_SYS_ADMIN, so that what
/// the filter decides cannot be undone by a setuid or file-capability binary. Under it execve
/// never raises privileges: setuid and setgid bits are ignored, and file capabilities give nothing
/// beyond the permitted set the process already had. It cannot be cleared once set.
/// </summary>
internal sealed class LimitNewPrivilegesControl : ControlDefinition<LimitNewPrivilegesPolicy>
{
    public const string ControlName = "limitNewPrivileges";

    public override string Name => ControlName;

    public override string Title => "limit new privileges";

    public override string AuditName => ControlName;

    protected override LimitNewPrivilegesPolicy Read(SectionReader section)
    {
        section.AlwaysEnforcedSwitch("the enforcer's seccomp filter is only installed together with NO_NEW_PRIVS");
        return new LimitNewPrivilegesPolicy();
    }

    protected override string DescribePolicy(LimitNewPrivilegesPolicy policy) =>
        "NO_NEW_PRIVS: setuid, setgid and file capabilities do not elevate";

    protected override IEnumerable<FilterRule> RulesFor(LimitNewPrivilegesPolicy policy) => [];

    protected override IControl CreateFor(LimitNewPrivilegesPolicy policy, ControlServices services) => new Declared(ControlName, policy.Mode);

    // Nothing runs for it: the launch shim does what it declares, for every process it launches.
    private sealed record Declared(string Name, EnforcementMode Mode) : IControl;
}
