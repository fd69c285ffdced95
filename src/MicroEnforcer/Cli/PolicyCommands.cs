using MicroEnforcer.Controls;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Cli;

/// <summary>`policy validate FILE` and `policy default`.</summary>
internal static class PolicyCommands
{
    public static int Validate(string path)
    {
        PolicyLoadResult result = ControlRegistry.LoadPolicyFile(path);
        PrintWarnings(result);
        if (!result.Succeeded)
        {
            PrintErrors(result);
            return ExitCodes.BadPolicy;
        }
        StandardStreams.Out.WriteLine($"{path}: valid policy '{result.Policy!.Name}': {ControlRegistry.Describe(result.Policy)}");
        return ExitCodes.Success;
    }

    public static int PrintDefault()
    {
        StandardStreams.Out.Write(DefaultPolicy.Text);
        return ExitCodes.Success;
    }

    /// <summary>The lines list files skipped: the policy stands, but its author should know.</summary>
    public static void PrintWarnings(PolicyLoadResult result)
    {
        foreach (string warning in result.Warnings)
            StandardStreams.Error.WriteLine($"microenforcer: policy warning: {warning}");
    }

    public static void PrintErrors(PolicyLoadResult result)
    {
        foreach (PolicyError error in result.Errors)
            StandardStreams.Error.WriteLine($"microenforcer: policy error: {error}");
        StandardStreams.Error.WriteLine($"microenforcer: policy refused ({result.Errors.Count} error{(result.Errors.Count == 1 ? "" : "s")}); nothing was started");
    }
}
