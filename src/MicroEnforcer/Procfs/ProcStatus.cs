using System.Text;

namespace MicroEnforcer.Procfs;

/// <summary>The fields of /proc/PID/status the enforcer reports.</summary>
internal readonly record struct ProcStatus(int Tgid, int PPid, int Uid, int TracerPid = 0, int SeccompFilters = 0, char State = 'R')
{
    /// <summary>Exited, not yet reaped (or being reaped): nothing left to trace or kill.</summary>
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>
    /// One open, read and close, parsed in place: the session watcher reads the status of every
    /// new process in the container, which under a fork-and-exec workload is several per scan, and
    /// the FileStream it used to go through added an fstat, a flock, a second read and the garbage
    /// of a string per line (a collection stops the notify loop too).
    /// </summary>
    public static ProcStatus? Read(int pid)
    {
        Span<byte> buffer = stackalloc byte[4096];   // about 1.5 KiB on 6.x; one seq_file show
        int n = ProcFile.ReadOnce($"/proc/{pid}/status", buffer);
        if (n < 0)
            return null;   // the process is gone
        if (n < buffer.Length)
            return Parse(buffer[..n]);
        byte[]? whole = ProcFile.ReadAll($"/proc/{pid}/status", 2 * buffer.Length);
        return whole is null ? null : Parse(whole);
    }

    public static ProcStatus? Parse(string text) => Parse(Encoding.UTF8.GetBytes(text));

    public static ProcStatus? Parse(ReadOnlySpan<byte> text)
    {
        int tgid = -1, ppid = -1, uid = -1, tracer = 0, filters = 0;
        char state = 'R';
        while (text.Length > 0)
        {
            int end = text.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            int colon = line.IndexOf((byte)':');
            if (colon < 0)
                continue;
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
            if (name.SequenceEqual("Tgid"u8))
                tgid = ParseInt(value) ?? -1;
            else if (name.SequenceEqual("PPid"u8))
                ppid = ParseInt(value) ?? -1;
            else if (name.SequenceEqual("TracerPid"u8))
                tracer = ParseInt(value) ?? 0;
            else if (name.SequenceEqual("State"u8) && value.Length > 0)
                state = (char)value[0];
            else if (name.SequenceEqual("Seccomp_filters"u8))
                filters = ParseInt(value) ?? 0;
            else if (name.SequenceEqual("Uid"u8))
                uid = ParseInt(SecondField(value)) ?? -1;   // real, effective, saved, filesystem: the effective one acts
        }
        return tgid < 0 || ppid < 0 ? null : new ProcStatus(tgid, ppid, uid, tracer, filters, state);
    }

    private static ReadOnlySpan<byte> SecondField(ReadOnlySpan<byte> value)
    {
        int gap = value.IndexOfAny(" \t"u8);
        if (gap < 0)
            return default;
        value = value[gap..].TrimStart(" \t"u8);
        int next = value.IndexOfAny(" \t"u8);
        return next < 0 ? value : value[..next];
    }

    private static int? ParseInt(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty || digits.Length > 10)
            return null;
        long value = 0;
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return null;
            value = value * 10 + (b - '0');
        }
        return value <= int.MaxValue ? (int)value : null;
    }
}
