using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The reverse-shell section (<c>spec.reverseShell</c>) and syscalls; see <see cref="ReverseShellDetector"/>.</summary>
internal sealed class ReverseShellControl : ControlDefinition<ReverseShellPolicy>
{
    private const uint F_DUPFD = 0, F_DUPFD_CLOEXEC = 1030;
    private const uint SYS_CONNECT = 3;

    public override string Name => "reverseShell";

    public override string Title => "reverse shell";

    public override string AuditName => ReverseShellDetector.ControlName;

    protected override ReverseShellPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches();
        PolicyList<PathGlob> processes = section.Globs("allowedProcesses");
        PolicyList<IpNetwork> addresses = section.Networks("allowedAddresses");
        PolicyList<string> interpreters = section.List<string>("interpreters", "a list of executable names", "an executable name", ParseInterpreter)
            ?? ReverseShellPolicy.DefaultInterpreters;
        return new ReverseShellPolicy(enabled, mode, processes, addresses, interpreters);
    }

    protected override string DescribePolicy(ReverseShellPolicy policy) =>
        $"{policy.AllowedProcesses.Count} allowed process(es), {policy.AllowedAddresses.Count} allowed network(s)";

    // Execs; and only the calls that can put a socket on fd 0-2: dup2/dup3 onto 0-2,
    // fcntl(F_DUPFD*) with a minimum of 0-2 (the minimum is a third argument, which the handler
    // checks); dup, whose result fd only the kernel knows, always; and connect on any fd (a
    // relay's connect may feed a shell through a pipe), i386's through socketcall.
    protected override IEnumerable<FilterRule> RulesFor(ReverseShellPolicy policy) =>
    [
        .. ExecRules,
        FilterRule.Notify(SyscallTable.Dup),
        FilterRule.Notify(SyscallTable.Dup2, ArgumentTest.AtMost(1, 2)),
        FilterRule.Notify(SyscallTable.Dup3, ArgumentTest.AtMost(1, 2)),
        FilterRule.Notify(SyscallTable.Fcntl, ArgumentTest.OneOf(1, F_DUPFD, F_DUPFD_CLOEXEC)),
        FilterRule.Notify(SyscallTable.Connect),
        FilterRule.Notify(SyscallTable.SocketCall, ArgumentTest.EqualTo(0, SYS_CONNECT)),
    ];

    protected override IControl CreateFor(ReverseShellPolicy policy, ControlServices services) => new ReverseShellDetector(policy);

    private static string? ParseInterpreter(string text, out string name)
    {
        name = text;
        return ExecutableName.Check(text) is { } error
            ? text.Length == 0 ? error : $"invalid interpreter name '{text}': {error}"
            : null;
    }
}
