using System.Globalization;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// What the kernel checks a file operation against, of one caller: its filesystem uid and gid
/// (the fourth fields of /proc/TID/status's Uid and Gid lines: setfsuid, and every set*uid,
/// move them), its supplementary groups and its effective capabilities. Read while the caller is
/// parked in its notification: its credentials cannot change until it is answered (only the
/// thread itself changes them, and glibc's set*id broadcast waits for it).
/// </summary>
internal sealed record CallerCredentials(uint FsUid, uint FsGid, uint[] Groups, ulong Effective)
{
    public static CallerCredentials? Read(int tid)
    {
        // One read: status is one seq_file show (about 1.5 KiB; a long Groups line makes it more).
        Span<byte> buffer = stackalloc byte[8192];
        int n = ProcFile.ReadOnce($"/proc/{tid}/status", buffer);
        if (n > 0 && n < buffer.Length)
            return Parse(System.Text.Encoding.ASCII.GetString(buffer[..n]));
        return ProcFile.ReadAll($"/proc/{tid}/status", 64 * 1024) is { } bytes ? Parse(System.Text.Encoding.ASCII.GetString(bytes)) : null;
    }

    public static CallerCredentials? Parse(string status)
    {
        uint? fsuid = null, fsgid = null;
        ulong? effective = null;
        uint[] groups = [];
        foreach (string line in status.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string name = line[..colon];
            string[] fields = line[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (name)
            {
                case "Uid" when fields.Length == 4:
                    fsuid = uint.Parse(fields[3], CultureInfo.InvariantCulture);
                    break;
                case "Gid" when fields.Length == 4:
                    fsgid = uint.Parse(fields[3], CultureInfo.InvariantCulture);
                    break;
                case "Groups":
                    groups = [.. fields.Select(g => uint.Parse(g, CultureInfo.InvariantCulture))];
                    break;
                case "CapEff" when fields.Length == 1:
                    effective = ulong.Parse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    break;
            }
        }
        return fsuid is uint u && fsgid is uint g && effective is ulong e ? new CallerCredentials(u, g, groups, e) : null;
    }
}
