using MicroEnforcer.Policy;

namespace MicroEnforcer.Cli;

/// <summary>`policy validate FILE` and `policy default`.</summary>
internal static class PolicyCommands
{
    public static int Validate(string path)
    {
        PolicyLoadResult result = PolicyLoader.LoadFile(path);
        if (!result.Succeeded)
        {
            PrintErrors(result);
            return ExitCodes.BadPolicy;
        }
        StandardStreams.Out.WriteLine($"{path}: valid policy '{result.Policy!.Name}': {Describe(result.Policy)}");
        return ExitCodes.Success;
    }

    public static int PrintDefault()
    {
        StandardStreams.Out.Write(DefaultPolicy.Text);
        return ExitCodes.Success;
    }

    public static void PrintErrors(PolicyLoadResult result)
    {
        foreach (PolicyError error in result.Errors)
            StandardStreams.Error.WriteLine($"microenforcer: policy error: {error}");
        StandardStreams.Error.WriteLine($"microenforcer: policy refused ({result.Errors.Count} error{(result.Errors.Count == 1 ? "" : "s")}); nothing was started");
    }

    public static string Describe(RuntimePolicy policy) => string.Join("; ",
        Control("drift prevention", policy.DriftPrevention.Enabled, policy.DriftPrevention.Mode,
            $"{policy.DriftPrevention.AllowedExecutables.Count} allowed pattern(s)"),
        Control("fileless exec", policy.BlockFilelessExec.Enabled, policy.BlockFilelessExec.Mode, null),
        Control("fork guard", policy.ForkGuard.Enabled, policy.ForkGuard.Mode, $"max {policy.ForkGuard.MaxProcesses} processes"),
        Control("reverse shell", policy.ReverseShell.Enabled, policy.ReverseShell.Mode,
            $"{policy.ReverseShell.AllowedProcesses.Count} allowed process(es), {policy.ReverseShell.AllowedAddresses.Count} allowed network(s)"));

    private static string Control(string name, bool enabled, EnforcementMode mode, string? detail) =>
        !enabled ? $"{name} off" : detail is null ? $"{name} {mode.ToPolicyText()}" : $"{name} {mode.ToPolicyText()} ({detail})";

}
