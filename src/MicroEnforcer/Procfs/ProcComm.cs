namespace MicroEnforcer.Procfs;

/// <summary>/proc/PID/comm: the name a process runs under (the exec'd path's last component).</summary>
internal static class ProcComm
{
    public static string? Read(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
