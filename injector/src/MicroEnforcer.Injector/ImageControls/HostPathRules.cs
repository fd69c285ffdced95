namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// Volumes Blocked's host paths. A mount is refused when it would expose a listed path: the path
/// itself or any directory above it (mounting `/var` exposes `/var/run/docker.sock`); a prefix
/// entry also refuses anything beneath it (`/proc/1`). Paths are compared after lexical
/// normalisation (`//`, `.`, `..` and trailing slashes), never through the host's symlinks, which
/// the injector cannot see: list `/var/run/docker.sock` and `/run/docker.sock` both.
/// </summary>
public sealed class HostPathRules(IEnumerable<string> paths, IEnumerable<string> prefixes)
{
    private readonly List<string> _paths = [.. paths.Where(p => !string.IsNullOrWhiteSpace(p)).Select(Normalise)];
    private readonly List<string> _prefixes = [.. prefixes.Where(p => !string.IsNullOrWhiteSpace(p)).Select(Normalise)];

    /// <summary>Why mounting MOUNTED is blocked (`is blocked`, `exposes blocked /x`, `is under blocked /proc`), or null.</summary>
    public string? Blocked(string mounted)
    {
        string path = Normalise(mounted);
        List<string> all = [.. _paths, .. _prefixes];
        if (all.Contains(path, StringComparer.Ordinal))
            return "is blocked";
        if (all.FirstOrDefault(blocked => IsAtOrBelow(blocked, path)) is { } exposed)
            return $"exposes blocked {exposed}";
        if (_prefixes.FirstOrDefault(prefix => IsAtOrBelow(path, prefix)) is { } under)
            return $"is under blocked {under}";
        return null;
    }

    /// <summary>Whether PATH is ANCESTOR or lies beneath it (component-wise).</summary>
    private static bool IsAtOrBelow(string path, string ancestor) =>
        path == ancestor || ancestor == "/" || path.StartsWith(ancestor + "/", StringComparison.Ordinal);

    /// <summary>An absolute path with no empty, `.` or `..` components (`..` at the root stays at the root, as the kernel does).</summary>
    internal static string Normalise(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Trim().Split('/'))
        {
            if (part is "" or ".")
                continue;
            if (part == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
