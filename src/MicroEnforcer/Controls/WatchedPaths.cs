using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// The paths File Integrity Monitoring watches: a path is watched when a glob matches it or one of
/// its ancestors (a listed directory covers everything beneath it). A rename or deletion of a
/// directory on the way to watched paths (/etc, when /etc/cron.d/** is watched) counts too: the
/// watched files move or go with it.
/// </summary>
internal sealed class WatchedPaths(PolicyList<PathGlob> globs)
{
    /// <summary>
    /// Used when the policy enables the control without a list: the files that grant logins and
    /// privileges, what the dynamic loader preloads, root's SSH keys, the cron tables, and the
    /// image's binary and library directories.
    /// </summary>
    public static readonly string[] Defaults =
    [
        "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d/**",
        "/etc/ld.so.preload", "/etc/ld.so.conf", "/etc/ld.so.conf.d/**",
        "/root/.ssh/**", "/etc/crontab", "/etc/cron*/**", "/var/spool/cron/**",
        "/bin/**", "/sbin/**", "/usr/bin/**", "/usr/sbin/**", "/usr/local/bin/**", "/usr/local/sbin/**",
        "/lib*/**", "/usr/lib*/**",
    ];

    public static PolicyList<PathGlob> DefaultGlobs { get; } = PolicyList.From(Defaults.Select(pattern =>
        PathGlob.TryParse(pattern, out PathGlob? glob, out string error) ? glob : throw new InvalidOperationException($"{pattern}: {error}")));

    /// <summary>Whether <paramref name="path"/> (absolute) is watched, or (<paramref name="orAbove"/>) holds watched paths beneath it.</summary>
    public bool Covers(string? path, bool orAbove = false)
    {
        if (path is null || path.Length == 0 || path[0] != '/')
            return false;
        foreach (PathGlob glob in globs)
        {
            if (glob.Matches(path))
                return true;
            if (orAbove && IsAboveLiteralPart(path, glob.Pattern))
                return true;
        }
        // An ancestor matched: everything beneath a listed directory is watched.
        for (int slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
        {
            string ancestor = path[..slash];
            foreach (PathGlob glob in globs)
            {
                if (glob.Matches(ancestor))
                    return true;
            }
        }
        return false;
    }

    // /etc is above /etc/cron*/**: the pattern's part before its first wildcard starts with "/etc/".
    private static bool IsAboveLiteralPart(string path, string pattern)
    {
        int wildcard = pattern.AsSpan().IndexOfAny("*?[");
        ReadOnlySpan<char> literal = wildcard < 0 ? pattern : pattern.AsSpan(0, wildcard);
        string prefix = path == "/" ? "/" : path + "/";
        return literal.StartsWith(prefix, StringComparison.Ordinal);
    }
}
