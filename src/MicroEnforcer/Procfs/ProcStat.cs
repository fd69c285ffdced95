using System.Globalization;

namespace MicroEnforcer.Procfs;

/// <summary>
/// The fields of /proc/PID/stat that /proc/PID/status does not show: the task's flags, and its
/// start time, which tells a process from a later one that was given the same pid.
/// </summary>
internal readonly record struct ProcStat(ulong Flags, ulong StartTime)
{
    // include/linux/sched.h: set by fork, cleared by exec (begin_new_exec).
    private const ulong PF_FORKNOEXEC = 0x40;

    /// <summary>The process was forked and has not exec'd since.</summary>
    public bool ForkedWithoutExec => (Flags & PF_FORKNOEXEC) != 0;

    /// <summary>Null when the process is gone.</summary>
    public static ProcStat? Read(int pid)
    {
        Span<byte> buffer = stackalloc byte[1024];   // one seq_file show, about 300 bytes
        int n = ProcFile.ReadOnce($"/proc/{pid}/stat", buffer);
        return n <= 0 || n == buffer.Length ? null : Parse(buffer[..n]);
    }

    /// <summary>Fields 9 (flags) and 22 (starttime), counted after the command name's closing parenthesis (the name may hold spaces and parentheses).</summary>
    public static ProcStat? Parse(ReadOnlySpan<byte> stat)
    {
        int close = stat.LastIndexOf((byte)')');
        if (close < 0)
            return null;
        ReadOnlySpan<byte> rest = stat[(close + 1)..];
        ulong flags = 0;
        // After the name: state (field 3) ... flags (9) ... starttime (22).
        for (int field = 3; field <= 22; field++)
        {
            rest = rest.TrimStart((byte)' ');
            int end = rest.IndexOf((byte)' ');
            ReadOnlySpan<byte> value = end < 0 ? rest.TrimEnd((byte)'\n') : rest[..end];
            if (field is 9 or 22)
            {
                if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
                    return null;
                if (field == 22)
                    return new ProcStat(flags, number);
                flags = number;
            }
            if (end < 0)
                return null;
            rest = rest[end..];
        }
        return null;
    }
}
