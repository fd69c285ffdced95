using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Turns a policy's path glob into the paths a Landlock rule set can name at start: each match's
/// real path (symlinks resolved: <c>/var/run/secrets/**</c> is <c>/run/secrets</c> on Debian),
/// and a trailing <c>/**</c> as the directory itself (a rule on a directory covers its subtree).
/// Besides the matches it gives the directories a wildcard was matched in: a file created there
/// later could match too, so the rule set must give such directories no blanket grant (see
/// <see cref="FileRulePlanner"/>). A literal path that does not exist is given apart: there is
/// nothing to protect yet, and covering it would take every new entry's rights in the directory
/// it would appear in (/var/run/secrets where there are none: every new file in /run).
/// </summary>
internal static class FileGlobExpansion
{
    /// <summary>How many directory entries one glob may visit (a <c>/**/</c> in the middle walks a subtree).</summary>
    public const int MaxVisited = 200_000;

    public readonly record struct Expansion(IReadOnlyList<string> Matches, IReadOnlyList<string> WildcardDirectories, IReadOnlyList<string> Missing, string? Error);

    public static Expansion Expand(PathGlob glob)
    {
        string[] segments = glob.Pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var matches = new List<string>();
        var marks = new List<string>();
        var missing = new List<string>();
        int visited = 0;
        var current = new List<string> { "/" };
        for (int i = 0; i < segments.Length && current.Count > 0; i++)
        {
            string segment = segments[i];
            bool last = i == segments.Length - 1;
            var next = new List<string>();
            foreach (string directory in current)
            {
                if (segment == "**")
                {
                    if (last)
                    {
                        matches.Add(directory);
                        continue;
                    }
                    // Any depth, none included: every directory beneath, and each is a place a
                    // match could appear later.
                    foreach (string beneath in DirectoriesBeneath(directory, ref visited))
                    {
                        next.Add(beneath);
                        marks.Add(beneath);
                    }
                    continue;
                }

                if (!HasWildcard(segment))
                {
                    string path = Join(directory, segment);
                    if (RealPath(path) is { } real)
                    {
                        if (last)
                            matches.Add(real);
                        else if (Directory.Exists(real))
                            next.Add(real);
                    }
                    else if (!Path.Exists(path))
                    {
                        string rest = string.Join('/', segments[(i + 1)..]);
                        missing.Add(rest.Length == 0 ? path : Join(path, rest));
                    }
                    continue;
                }

                marks.Add(directory);
                PathGlob? one = PathGlob.TryParse("/" + segment, out PathGlob? parsed, out _) ? parsed : null;
                foreach (FileSystemInfo entry in Entries(directory))
                {
                    if (++visited > MaxVisited)
                        return new Expansion(matches, marks, missing, $"'{glob.Pattern}' visits more than {MaxVisited} directory entries; name fewer");
                    if (one is null || !one.Matches("/" + entry.Name))
                        continue;
                    string path = Join(directory, entry.Name);
                    if (RealPath(path) is not { } real)
                        continue;
                    if (last)
                        matches.Add(real);
                    else if (Directory.Exists(real))
                        next.Add(real);
                }
            }
            current = next;
        }
        if (segments.Length == 0)
            matches.Add("/");
        if (visited > MaxVisited)
            return new Expansion(matches, marks, missing, $"'{glob.Pattern}' visits more than {MaxVisited} directory entries; name fewer");
        return new Expansion(matches.Distinct().ToList(), marks.Distinct().ToList(), missing, null);
    }

    private static bool HasWildcard(string text) => text.AsSpan().IndexOfAny("*?[") >= 0;

    public static string Join(string directory, string name) => directory == "/" ? "/" + name : directory + "/" + name;

    /// <summary>The path with every symlink resolved (the kernel's own answer, through an O_PATH descriptor), or null if it does not resolve.</summary>
    public static string? RealPath(string path)
    {
        int fd = NativePath.Open(path, Libc.O_PATH | Libc.O_CLOEXEC);
        if (fd < 0)
            return null;
        try
        {
            return NativePath.ReadLink($"/proc/self/fd/{fd}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>A directory's entries, none when it cannot be listed.</summary>
    public static IEnumerable<FileSystemInfo> Entries(string directory)
    {
        try
        {
            return new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                IgnoreInaccessible = true,
                AttributesToSkip = 0,
                RecurseSubdirectories = false,
            }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static List<string> DirectoriesBeneath(string root, ref int visited)
    {
        var found = new List<string> { root };
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0 && visited <= MaxVisited)
        {
            foreach (FileSystemInfo entry in Entries(pending.Pop()))
            {
                visited++;
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    found.Add(entry.FullName);
                    pending.Push(entry.FullName);
                }
            }
        }
        return found;
    }
}
