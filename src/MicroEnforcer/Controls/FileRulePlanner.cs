namespace MicroEnforcer.Controls;

/// <summary>
/// Turns "take these rights away from these paths" into Landlock's only language, "grant these
/// rights beneath these inodes". Within one Landlock layer a path's rights are the union of the
/// grants on it and its ancestors, and whatever a rule set handles and grants nowhere is denied.
/// So, from the root down towards each constrained path:
/// <list type="bullet">
/// <item>a path with nothing constrained beneath it gets one rule: the rights it should have;</item>
/// <item>a path with something constrained beneath it gets only the rights every path in its
/// subtree keeps (often none), and each of its entries is visited: the ones on the way to a
/// constrained path recursively, every other entry a rule with the rights the path itself has.</item>
/// </list>
/// What this costs, and it is written down in docs/limits.md: an entry created after start
/// directly in such an ancestor directory (a new file in <c>/etc</c> when <c>/etc/shadow</c> is
/// blocked, a new directory in <c>/</c>) has only the rights its whole subtree keeps.
/// Handled rights are the union of what is taken away, plus Refer: every Landlock layer denies
/// cross-directory renames and links unless a rule grants Refer, so it is granted wherever the
/// other rights are.
/// </summary>
internal sealed class FileRulePlanner
{
    private readonly IReadOnlyList<FileRestriction> _restrictions;
    private readonly IReadOnlyList<FileException> _exceptions;
    private readonly string[] _constrained;
    private readonly List<(string Path, FileRights Rights)> _rules = [];
    private readonly List<(string Directory, FileRights Missing)> _limited = [];

    /// <summary>
    /// After <see cref="Plan"/>: the directories where an entry created after start gets fewer
    /// rights than the directory itself should have, and which (the cost of a deny-list in a
    /// grant-only language; said at start).
    /// </summary>
    public IReadOnlyList<(string Directory, FileRights Missing)> LimitedNewEntries => _limited;

    /// <param name="marks">Directories to visit entry by entry although nothing in them is constrained yet (where a wildcard may match later).</param>
    public FileRulePlanner(IReadOnlyList<FileRestriction> restrictions, IReadOnlyList<FileException> exceptions, IEnumerable<string> marks)
    {
        _restrictions = restrictions;
        _exceptions = exceptions;
        Handled = restrictions.Aggregate(FileRights.None, (all, r) => all | r.Denied) | FileRights.Refer;
        _constrained = [.. restrictions.Select(r => r.Path).Concat(exceptions.Select(e => e.Path)).Concat(marks).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The rights the rule set handles: all others are left alone.</summary>
    public FileRights Handled { get; }

    /// <summary>The grants: (existing path, rights), parents before children.</summary>
    public IReadOnlyList<(string Path, FileRights Rights)> Plan()
    {
        _rules.Clear();
        _limited.Clear();
        if (_restrictions.Count > 0)
            Place("/", FileRights.None);
        return _rules;
    }

    /// <summary>The rights <paramref name="path"/> should have under the restrictions and exceptions.</summary>
    public FileRights Desired(string path)
    {
        FileRights denied = FileRights.None;
        foreach (FileRestriction restriction in _restrictions)
        {
            if (!Covers(restriction.Path, path))
                continue;
            FileRights taken = restriction.Denied;
            foreach (FileException exception in _exceptions)
            {
                if (exception.Control == restriction.Control && Covers(exception.Path, path) && Covers(restriction.Path, exception.Path))
                    taken &= ~exception.Restored;
            }
            denied |= taken;
        }
        return Handled & ~denied;
    }

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="path"/> or a directory above it.</summary>
    public static bool Covers(string ancestor, string path) =>
        ancestor == "/" || path == ancestor || (path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] == '/');

    private void Place(string path, FileRights granted)
    {
        bool isDirectory = Directory.Exists(path);
        FileRights desired = Desired(path);
        string[] beneath = [.. _constrained.Where(c => c != path && Covers(path, c))];
        if (beneath.Length == 0 || !isDirectory)
        {
            Grant(path, isDirectory, desired, granted);
            return;
        }

        // What every path beneath keeps, this one included: a grant here must not reach any of them.
        FileRights kept = beneath.Aggregate(desired, (rights, c) => rights & Desired(c));
        granted |= Grant(path, isDirectory: true, kept, granted);
        if ((desired & ~granted) != 0)
            _limited.Add((path, desired & ~granted));

        foreach (FileSystemInfo entry in FileGlobExpansion.Entries(path))
        {
            string child = FileGlobExpansion.Join(path, entry.Name);
            if (beneath.Any(c => Covers(child, c)))
            {
                if (entry.LinkTarget is null)
                    Place(child, granted);
                continue;
            }
            // A symlink gets nothing: Landlock judges the path it resolves to.
            if (entry.LinkTarget is null)
                Grant(child, entry is DirectoryInfo, desired, granted);
        }
    }

    // Adds a rule for what `rights` gives beyond `granted` (a file's rule carries file rights
    // only); returns what the path now has.
    private FileRights Grant(string path, bool isDirectory, FileRights rights, FileRights granted)
    {
        if (!isDirectory)
            rights &= FileRights.OnFile;
        if ((rights & ~granted) != 0)
            _rules.Add((path, rights));
        return rights;
    }
}
