using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Read-Only Directories and Files. Enforce mode: beneath the listed paths nothing can be
/// written, truncated, created, removed, renamed into or out of, or linked (EACCES), by Landlock,
/// like File Block (see <see cref="FileBlock"/>: the kernel judges the inode at the call, so no
/// path trick goes around it, and files created later are covered). The exceptions stay writable.
/// A single listed file can be neither replaced nor removed, so the directory holding it takes no
/// new entries directly in it (docs/limits.md).
/// </summary>
internal sealed class ReadOnlyPaths(ReadOnlyPolicy policy, ILogger log) : ILaunchControl
{
    public const string ControlName = "readOnly";

    public string Name => ControlName;

    /// <summary>The policy's mode, or audit where the kernel cannot enforce it and the policy falls back.</summary>
    public EnforcementMode Mode { get; private set; } = policy.Mode;

    public string? Prepare(LaunchPlan plan)
    {
        if (FileRestrictions.Mode(ControlName, policy.Mode, policy.Fallback, FileRights.Change, log, out string? refusal) is not { } mode)
            return refusal;
        Mode = mode;
        if (mode != EnforcementMode.Enforce)
            return null;
        foreach (PathGlob path in policy.Paths)
            FileRestrictions.Restrict(plan, ControlName, path, FileRights.Change, log);
        foreach (PathGlob exception in policy.Exceptions)
            FileRestrictions.Except(plan, ControlName, exception, FileRights.Change, log);
        return null;
    }

    public void Launched(int pid, string process, string? path)
    {
    }
}
