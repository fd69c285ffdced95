namespace MicroEnforcer.Packages;

/// <summary>
/// One package as an image's package database records it: its name, and the paths it installed
/// (files and directories alike, absolute, as the database spells them: symlinks not resolved).
/// </summary>
/// <param name="Name">The package name (Debian's <c>Package</c>, apk's <c>P:</c>).</param>
/// <param name="Architecture">Debian's <c>Architecture</c> (a Multi-Arch package can be installed once per architecture); null for apk.</param>
/// <param name="Paths">What it installed, absolute (dpkg lists its directories too, apk only files).</param>
/// <param name="PathsUnknown">Why its paths could not be read (dpkg's list file is missing), or null.</param>
internal sealed record InstalledPackage(string Name, string? Architecture, IReadOnlyList<string> Paths, string? PathsUnknown = null);
