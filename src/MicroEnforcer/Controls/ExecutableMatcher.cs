using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Which entry of an executables list an exec target matches: a path entry by the canonical
/// path (symlinks resolved, so a link to /usr/bin/ssh is /usr/bin/ssh), a name entry by the file
/// name of that path and, for a multi-call binary, by the applet its argv selects. Optionally
/// also by the name it was invoked under (the last component of the path the caller gave, which
/// the caller chooses: good for blocking, never for allowing).
/// </summary>
internal static class ExecutableMatcher
{
    public static ExecutableEntry? Find(IReadOnlyList<ExecutableEntry> entries, ExecTarget target, bool byInvokedName)
    {
        string fileName = ExecTarget.LastComponent(target.CanonicalPath);
        // Indexed, not foreach: asked on every exec, and a list's enumerator through the
        // interface is an allocation each time.
        for (int i = 0; i < entries.Count; i++)
        {
            ExecutableEntry entry = entries[i];
            if (entry.IsName
                ? entry.MatchesName(fileName) || entry.MatchesName(target.Applet) || (byInvokedName && entry.MatchesName(target.InvokedName))
                : entry.MatchesPath(target.CanonicalPath))
                return entry;
        }
        return null;
    }
}
