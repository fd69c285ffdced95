using System.Text;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Mount points from /proc/self/mountinfo. Only the root filesystem is the image: /proc, /sys,
/// /dev, tmpfs, volumes and bind-mounted files are all other mounts, and whatever lives on them
/// is not part of the baseline.
/// </summary>
internal static class MountTable
{
    public static IReadOnlySet<string> ReadMountPoints(string mountinfoPath = "/proc/self/mountinfo")
    {
        try
        {
            return ParseMountPoints(File.ReadAllText(mountinfoPath));
        }
        catch (IOException)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
        catch (UnauthorizedAccessException)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>Field 5 of each mountinfo line, with the kernel's octal escapes (\040) undone.</summary>
    public static HashSet<string> ParseMountPoints(string mountinfo)
    {
        var points = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 5)
                continue;
            points.Add(Unescape(fields[4]));
        }
        return points;
    }

    internal static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1) && IsOctal(field, i + 2) && IsOctal(field, i + 3))
            {
                bytes.Add((byte)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int index) => index < s.Length && s[index] >= '0' && s[index] <= '7';
}
