namespace MicroEnforcer.Packages;

/// <summary>
/// What an image's package databases say is installed, read once at start from a root
/// directory: dpkg's and apk's, which are text; an rpm database is only found (see <see cref="RpmDatabase"/>).
/// </summary>
/// <param name="Packages">Every installed package of every database read.</param>
/// <param name="Databases">The databases read, as the image names them (for messages); empty when the image has none.</param>
/// <param name="UnreadRpmDatabase">An rpm database the image has, which was not read; null when none.</param>
internal sealed record ImagePackages(IReadOnlyList<InstalledPackage> Packages, IReadOnlyList<string> Databases, string? UnreadRpmDatabase)
{
    public static ImagePackages Read(string root)
    {
        var packages = new List<InstalledPackage>();
        var databases = new List<string>();
        if (DpkgDatabase.Read(root) is { } dpkg)
        {
            packages.AddRange(dpkg);
            databases.Add("/" + DpkgDatabase.StatusPath);
        }
        if (ApkDatabase.Read(root) is { } apk)
        {
            packages.AddRange(apk);
            databases.Add("/" + ApkDatabase.InstalledPath);
        }
        return new ImagePackages(packages, databases, RpmDatabase.Find(root));
    }

    /// <summary>The installed packages called <paramref name="name"/> (one per architecture for a Multi-Arch package).</summary>
    public IEnumerable<InstalledPackage> Named(string name) => Packages.Where(package => package.Name == name);
}
