namespace MicroEnforcer.Procfs;

/// <summary>The thread ids of a process (/proc/PID/task), and the process ids in /proc.</summary>
internal static class ProcTasks
{
    public static List<int> List(int pid) => Numbers($"/proc/{pid}/task");

    /// <summary>Every process visible in this pid namespace's /proc.</summary>
    public static List<int> Processes() => Numbers("/proc");

    private static List<int> Numbers(string directory)
    {
        var ids = new List<int>();
        try
        {
            foreach (string entry in Directory.EnumerateDirectories(directory))
            {
                ReadOnlySpan<char> name = Path.GetFileName(entry.AsSpan());
                if (int.TryParse(name, out int id))
                    ids.Add(id);
            }
        }
        catch (IOException)
        {
            // the process is gone
        }
        catch (UnauthorizedAccessException)
        {
        }
        return ids;
    }
}
