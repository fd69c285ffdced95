using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// What the controls that restrict files in the kernel (File Block, Read-Only, Package Block)
/// share at start: the Landlock check with its fallback, and turning their globs into the launch
/// plan's restrictions.
/// </summary>
internal static class FileRestrictions
{
    /// <summary>
    /// The mode <paramref name="control"/> runs in: its policy's, unless it enforces where the
    /// kernel cannot take <paramref name="denied"/> away; then audit with <c>fallback: audit</c>
    /// (said in the log), else null with the refusal in <paramref name="refusal"/>.
    /// </summary>
    public static EnforcementMode? Mode(string control, EnforcementMode mode, FallbackMode fallback, FileRights denied, ILogger log, out string? refusal)
    {
        refusal = null;
        if (mode != EnforcementMode.Enforce || LandlockRuleset.Unsupported(control, denied) is not { } why)
            return mode;
        if (fallback == FallbackMode.Audit)
        {
            Log.ControlWarning(log, control, $"{why[..why.IndexOf(". Set", StringComparison.Ordinal)]}; fallback: audit, so it runs in audit mode: it reports and blocks nothing");
            return EnforcementMode.Audit;
        }
        refusal = why;
        return null;
    }

    /// <summary>
    /// Whether the control's calls must reach PID 1 to be reported: in audit mode, with
    /// reportAttempts, or where the kernel may lack Landlock and the control falls back to audit.
    /// </summary>
    public static bool Reports(EnforcementMode mode, bool reportAttempts, FallbackMode fallback) =>
        mode == EnforcementMode.Audit || reportAttempts || fallback == FallbackMode.Audit;

    /// <summary>
    /// Adds a restriction for each path <paramref name="glob"/> names at start. A file with more
    /// than one hard link is said in the log: Landlock judges the path a file is opened by, so a
    /// link elsewhere (made before start: after it, making one needs rights the rule set denies)
    /// reaches the same content. Returns the paths restricted.
    /// </summary>
    public static IReadOnlyList<string> Restrict(LaunchPlan plan, string control, PathGlob glob, FileRights denied, ILogger log)
    {
        FileGlobExpansion.Expansion expansion = FileGlobExpansion.Expand(glob);
        if (expansion.Error is { } error)
            Log.ControlWarning(log, control, error);
        foreach (string directory in expansion.WildcardDirectories)
            plan.Mark(directory);
        foreach (string missing in expansion.Missing)
            Log.ControlWarning(log, control, $"{missing} ('{glob.Pattern}') does not exist at start: there is nothing to protect, and if it is made later it is not covered (list the directory that would hold it to cover that)");
        foreach (string path in expansion.Matches)
        {
            plan.Restrict(new FileRestriction(path, denied, control, glob.Pattern));
            if (NativePath.Statx(path, Libc.AT_SYMLINK_NOFOLLOW, out Libc.statx st) == 0 && (st.stx_mode & Libc.S_IFMT) != Libc.S_IFDIR && st.stx_nlink > 1)
            {
                Log.ControlWarning(log, control, $"{path} has {st.stx_nlink} hard links: a link at another path reaches the same content and is not restricted");
            }
        }
        return expansion.Matches;
    }

    /// <summary>Gives <paramref name="restored"/> back beneath each path <paramref name="glob"/> names. Returns the paths.</summary>
    public static IReadOnlyList<string> Except(LaunchPlan plan, string control, PathGlob glob, FileRights restored, ILogger log)
    {
        FileGlobExpansion.Expansion expansion = FileGlobExpansion.Expand(glob);
        if (expansion.Error is { } error)
            Log.ControlWarning(log, control, error);
        foreach (string path in expansion.Matches)
            plan.Except(new FileException(path, restored, control, glob.Pattern));
        return expansion.Matches;
    }
}
