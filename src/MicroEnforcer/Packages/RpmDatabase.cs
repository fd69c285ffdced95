namespace MicroEnforcer.Packages;

/// <summary>
/// Where an image keeps an rpm database. It is not read: rpm's databases are SQLite
/// (rpmdb.sqlite, rpm 4.16+), Berkeley DB (Packages) or rpm's own ndb (Packages.db, SUSE), whose
/// package headers are reached only through their libraries, which a static binary cannot load.
/// Finding one is enough to say so at start instead of taking every package for not installed.
/// </summary>
internal static class RpmDatabase
{
    // Fedora 36+ and RHEL 10 keep it under /usr/lib/sysimage/rpm (with /var/lib/rpm a link to it).
    private static readonly string[] s_files =
    [
        "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
        "usr/lib/sysimage/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db",
    ];

    /// <summary>The path of a non-empty rpm database under <paramref name="root"/> (as the image names it), or null.</summary>
    public static string? Find(string root)
    {
        foreach (string file in s_files)
        {
            var info = new FileInfo(Path.Join(root, file));
            if (info.Exists && info.Length > 0)
                return "/" + file;
        }
        return null;
    }
}
