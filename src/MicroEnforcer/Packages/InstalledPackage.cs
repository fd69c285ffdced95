namespace MicroEnforcer.Packages;

/// <summary>
/// One package as an image's package database records it: its name, and the paths it installed
/// (absolute, as the database spells them: symlinks not resolved; dpkg lists its directories too,
/// apk only files). dpkg keeps each package's paths in a file of its own: they are read when first
/// asked for, so that a policy listing three packages does not read the lists of eight hundred.
/// </summary>
internal sealed class InstalledPackage
{
    private readonly Lazy<(IReadOnlyList<string> Paths, string? Unknown)> _paths;

    /// <param name="name">The package name (Debian's <c>Package</c>, apk's <c>P:</c>).</param>
    /// <param name="architecture">Debian's <c>Architecture</c> (a Multi-Arch package can be installed once per architecture); null for apk.</param>
    /// <param name="readPaths">Its paths, or why they cannot be read, when first asked for.</param>
    public InstalledPackage(string name, string? architecture, Func<(IReadOnlyList<string> Paths, string? Unknown)> readPaths)
    {
        Name = name;
        Architecture = architecture;
        _paths = new(readPaths, LazyThreadSafetyMode.None);
    }

    public InstalledPackage(string name, string? architecture, IReadOnlyList<string> paths)
        : this(name, architecture, () => (paths, null))
    {
    }

    public string Name { get; }

    public string? Architecture { get; }

    /// <summary>What it installed, absolute; empty when <see cref="PathsUnknown"/>.</summary>
    public IReadOnlyList<string> Paths => _paths.Value.Paths;

    /// <summary>Why its paths could not be read (dpkg's list file is missing), or null.</summary>
    public string? PathsUnknown => _paths.Value.Unknown;
}
