namespace MicroEnforcer.Procfs;

/// <summary>The fields of /proc/PID/status the enforcer reports.</summary>
internal readonly record struct ProcStatus(int Tgid, int PPid, int Uid, int TracerPid = 0, int SeccompFilters = 0, char State = 'R')
{
    /// <summary>Exited, not yet reaped (or being reaped): nothing left to trace or kill.</summary>
    public bool IsZombie => State is 'Z' or 'X';

    public static ProcStatus? Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/status"));
        }
        catch (IOException)
        {
            return null;   // the process is gone
        }
    }

    public static ProcStatus? Parse(string text)
    {
        int tgid = -1, ppid = -1, uid = -1, tracer = 0, filters = 0;
        char state = 'R';
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string value = line[(colon + 1)..].Trim();
            switch (line[..colon])
            {
                case "Tgid":
                    _ = int.TryParse(value, out tgid);
                    break;
                case "PPid":
                    _ = int.TryParse(value, out ppid);
                    break;
                case "TracerPid":
                    _ = int.TryParse(value, out tracer);
                    break;
                case "State":
                    if (value.Length > 0)
                        state = value[0];
                    break;
                case "Seccomp_filters":
                    _ = int.TryParse(value, out filters);
                    break;
                case "Uid":
                    // Real, effective, saved, filesystem: the effective one acts.
                    string[] ids = value.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries);
                    if (ids.Length > 1)
                        _ = int.TryParse(ids[1], out uid);
                    break;
            }
        }
        return tgid < 0 || ppid < 0 ? null : new ProcStatus(tgid, ppid, uid, tracer, filters, state);
    }
}
