using System.Text;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Packages;

/// <summary>
/// apk's database, <c>/lib/apk/db/installed</c>: one stanza per installed package, one
/// <c>X:value</c> field a line. <c>P:</c> is the name; <c>F:</c> a directory (relative to the
/// root), and each <c>R:</c> after it a file in that directory (<c>R:</c> before any <c>F:</c>
/// is in the root directory).
/// </summary>
internal static class ApkDatabase
{
    public const string InstalledPath = "lib/apk/db/installed";

    /// <summary>The installed packages under <paramref name="root"/>; null when the image has no apk database.</summary>
    public static IReadOnlyList<InstalledPackage>? Read(string root)
    {
        string installed = Path.Join(root, InstalledPath);
        if (!Path.Exists(installed))
            return null;
        byte[] content = File.ReadAllBytes(installed);
        var packages = new List<InstalledPackage>();
        string? name = null, directory = null;
        var paths = new List<string>();
        foreach (Range range in content.AsSpan().Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = content.AsSpan(range).TrimEnd((byte)'\r');
            if (line.IsEmpty)
            {
                Flush();
                continue;
            }
            if (line.Length < 2 || line[1] != ':')
                continue;
            ReadOnlySpan<byte> value = line[2..];
            switch (line[0])
            {
                case (byte)'P':
                    name = Encoding.UTF8.GetString(value);
                    break;
                case (byte)'F':
                    directory = PathText.Decode(value).Trim('/');
                    break;
                case (byte)'R':
                    string file = PathText.Decode(value);
                    paths.Add(string.IsNullOrEmpty(directory) ? $"/{file}" : $"/{directory}/{file}");
                    break;
            }
        }
        Flush();
        return packages;

        void Flush()
        {
            if (name is not null)
                packages.Add(new InstalledPackage(name, null, [.. paths]));
            name = directory = null;
            paths.Clear();
        }
    }
}
