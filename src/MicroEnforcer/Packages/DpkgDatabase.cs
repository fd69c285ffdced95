using MicroEnforcer.Interop;

namespace MicroEnforcer.Packages;

/// <summary>
/// dpkg's database: <c>/var/lib/dpkg/status</c> (one stanza per package, RFC 822 style) and, for
/// each package, the paths it installed in <c>/var/lib/dpkg/info/NAME.list</c>, or
/// <c>NAME:ARCH.list</c> for a Multi-Arch: same package (which may be installed once per
/// architecture, e.g. libc6:amd64 and libc6:i386).
/// </summary>
internal static class DpkgDatabase
{
    public const string StatusPath = "var/lib/dpkg/status";
    private const string InfoDirectory = "var/lib/dpkg/info";

    /// <summary>The packages whose files are on disk, under <paramref name="root"/>; null when the image has no dpkg database.</summary>
    public static IReadOnlyList<InstalledPackage>? Read(string root)
    {
        string status = Path.Join(root, StatusPath);
        if (!Path.Exists(status))   // anything there but a readable file is an error, not "no database"
            return null;
        var packages = new List<InstalledPackage>();
        foreach (Stanza stanza in Stanzas(File.ReadAllText(status)))
        {
            if (stanza.Package is not { } name || !FilesOnDisk(stanza.Status))
                continue;
            packages.Add(WithPaths(root, name, stanza.Architecture));
        }
        return packages;
    }

    /// <summary>
    /// The third word of <c>Status</c> (want, error flag, state). Every state from "unpacked" on
    /// means the files were unpacked: a package on hold ("hold ok installed") or awaiting its
    /// triggers is as much on disk as an "install ok installed" one. "not-installed" and
    /// "config-files" (removed, only its configuration files left) are not; "half-installed" is
    /// partly on disk, and counted: blocking what is there is what a block list asks for.
    /// </summary>
    private static bool FilesOnDisk(string? status) =>
        status?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, var state] && state is not ("not-installed" or "config-files");

    // Read when first asked for: see InstalledPackage.
    private static InstalledPackage WithPaths(string root, string name, string? architecture) =>
        new(name, architecture, () =>
        {
            // dpkg names the list NAME:ARCH.list only for Multi-Arch: same packages; try that first.
            string[] candidates = architecture is null or "all" ? [$"{name}.list"] : [$"{name}:{architecture}.list", $"{name}.list"];
            foreach (string candidate in candidates)
            {
                string list = Path.Join(root, InfoDirectory, candidate);
                if (File.Exists(list))
                    return (ListedPaths(File.ReadAllBytes(list)), null);
            }
            return ([], $"its file list /{InfoDirectory}/{candidates[^1]} is missing");
        });

    // One absolute path a line; "/." is the root directory itself. Bytes as they are on disk.
    private static List<string> ListedPaths(ReadOnlySpan<byte> content)
    {
        var paths = new List<string>();
        foreach (Range range in content.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content[range];
            if (line.Length > 1 && line[0] == '/' && !line.SequenceEqual("/."u8))
                paths.Add(PathText.Decode(line));
        }
        return paths;
    }

    private sealed record Stanza(string? Package, string? Status, string? Architecture);

    // Stanzas are separated by blank lines; a line starting with a space or tab continues the
    // field before it (Description, Conffiles), which matters only in that it is no new field.
    private static IEnumerable<Stanza> Stanzas(string text)
    {
        string? package = null, status = null, architecture = null;
        bool any = false;
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line == "\r")
            {
                if (any)
                    yield return new Stanza(package, status, architecture);
                package = status = architecture = null;
                any = false;
                continue;
            }
            any = true;
            if (line[0] is ' ' or '\t')
                continue;
            int colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            string value = line[(colon + 1)..].Trim();
            switch (line[..colon])
            {
                case "Package":
                    package = value;
                    break;
                case "Status":
                    status = value;
                    break;
                case "Architecture":
                    architecture = value;
                    break;
            }
        }
        if (any)
            yield return new Stanza(package, status, architecture);
    }
}
