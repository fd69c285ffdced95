using System.Globalization;

namespace MicroEnforcer.Procfs;

/// <summary>
/// A zombie's exit status from /proc/PID/stat (field 52, exit_code, Linux 3.5), in waitpid's
/// form: what Forensics reads of a process whose parent is not PID 1, before that parent reaps it.
/// </summary>
internal static class ProcExitCode
{
    /// <summary>The wait status, or null: gone (reaped), not a zombie, or unreadable.</summary>
    public static int? Read(int pid)
    {
        Span<byte> buffer = stackalloc byte[1024];
        int n = ProcFile.ReadOnce($"/proc/{pid}/stat", buffer);
        return n <= 0 || n == buffer.Length ? null : Parse(buffer[..n]);
    }

    public static int? Parse(ReadOnlySpan<byte> stat)
    {
        int close = stat.LastIndexOf((byte)')');
        if (close < 0)
            return null;
        ReadOnlySpan<byte> rest = stat[(close + 1)..].Trim((byte)' ');
        for (int field = 3; ; field++)
        {
            int end = rest.IndexOf((byte)' ');
            ReadOnlySpan<byte> value = end < 0 ? rest.TrimEnd((byte)'\n') : rest[..end];
            if (field == 3 && value is not [(byte)'Z'] and not [(byte)'X'])
                return null;   // still running: its exit_code is not final
            if (field == 52)
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : null;
            if (end < 0)
                return null;
            rest = rest[(end + 1)..];
        }
    }
}
