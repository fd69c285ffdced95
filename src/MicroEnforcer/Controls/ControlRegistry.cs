using System.Collections.Immutable;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Every control the enforcer has, one line each. The order is the exec decision's: the most
/// specific finding first (an exec that is both fileless and drift is reported as fileless; a
/// blocked executable names the entry that blocks it even when it also drifted; drift says what
/// happened to a file that is also not in the allowed executables).
/// The policy's sections, the filter's rules, the running controls and the start-up summary are
/// all made from this list, so adding a control is its definition, its tests and its line here.
/// </summary>
internal static class ControlRegistry
{
    public static ImmutableArray<ControlDefinition> All { get; } =
    [
        new FilelessExecControl(),
        new ReverseShellControl(),
        new ExecutablesBlockedControl(),
        new FileBlockControl(),
        new PackageBlockControl(),
        new DriftPreventionControl(),
        new ExecutablesAllowedControl(),
        new ForkGuardControl(),
        new CapabilitiesBlockControl(),
        new LimitNewPrivilegesControl(),
        new SystemIntegrityControl(),
        new BlockPtraceControl(),
        new BlockContainerExecControl(),
        // Before Read-Only: the attribute guard performs an allowed chmod/chown/xattr call itself,
        // and no control after it is asked about that call.
        new FileIntegrityControl(),
        new ReadOnlyControl(),
        new PortBlockControl(),
        new ReputationControl(),
        new CryptoMiningControl(),
        new PortScanDetectionControl(),
    ];

    /// <summary>The policy sections, as the binder reads them: <see cref="RuntimePolicy.Controls"/> is in this order.</summary>
    public static IReadOnlyList<PolicySection> Sections { get; } = [.. All];

    public static PolicyLoadResult LoadPolicyFile(string path) => PolicyLoader.LoadFile(path, Sections);

    public static PolicyLoadResult ParsePolicy(string text, string source) => PolicyLoader.Parse(text, source, Sections);

    public static RuntimePolicy DefaultPolicy() => Policy.DefaultPolicy.Load(Sections);

    /// <summary>Each control's definition with its policy, enabled or not.</summary>
    public static IEnumerable<(ControlDefinition Definition, ControlPolicy Policy)> Pair(RuntimePolicy policy)
    {
        if (policy.Controls.Length != All.Length)
            throw new ArgumentException("the policy was not read with the registry's sections", nameof(policy));
        for (int i = 0; i < All.Length; i++)
            yield return (All[i], policy.Controls[i]);
    }

    /// <summary>
    /// The filter's rules: those of every enabled control, each rule once, and io_uring closed
    /// unless the policy allows it. Only what an enabled control decides reaches PID 1.
    /// </summary>
    public static ImmutableArray<FilterRule> FilterRules(RuntimePolicy policy)
    {
        var rules = ImmutableArray.CreateBuilder<FilterRule>();
        foreach ((ControlDefinition definition, ControlPolicy control) in Pair(policy))
        {
            if (!control.Enabled)
                continue;
            foreach (FilterRule rule in definition.Rules(control))
            {
                if (!rules.Contains(rule))
                    rules.Add(rule);
            }
        }

        if (!policy.AllowIoUring)
        {
            // io_uring performs opens, connects, renames... in the kernel's own workers: they never
            // pass through seccomp, so every control on a syscall would have a way around it.
            // ENOSYS, as Docker's default profile answers: programs fall back to plain syscalls.
            rules.AddRange(FilterRule.Errno(SyscallTable.IoUringSetup, Libc.ENOSYS), FilterRule.Errno(SyscallTable.IoUringEnter, Libc.ENOSYS),
                FilterRule.Errno(SyscallTable.IoUringRegister, Libc.ENOSYS));
        }
        return rules.ToImmutable();
    }

    /// <summary>One line for the start-up log and <c>policy validate</c>: every control, on or off, and its mode.</summary>
    public static string Describe(RuntimePolicy policy) =>
        string.Join("; ", Pair(policy).Select(pair => pair.Definition.Summary(pair.Policy)));
}
