using MicroEnforcer.Interop;

namespace MicroEnforcer.Procfs;

/// <summary>The thread ids of a process (/proc/PID/task), and the process ids in /proc.</summary>
internal static class ProcTasks
{
    public static List<int> List(int pid) => Numbers($"/proc/{pid}/task");

    /// <summary>Every process visible in this pid namespace's /proc.</summary>
    public static List<int> Processes() => Numbers("/proc");

    /// <summary>
    /// The numeric entries of a /proc directory, from getdents64 alone: the session watcher lists
    /// /proc at every scan while the workload forks, and Directory.EnumerateDirectories added a
    /// stat and an lstat for entries and a string for each of them. Empty if the directory is gone.
    /// </summary>
    private static unsafe List<int> Numbers(string directory)
    {
        var ids = new List<int>();
        int fd = NativePath.Open(directory, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
            return ids;   // the process is gone
        try
        {
            byte* buffer = stackalloc byte[8192];
            while (true)
            {
                nint read = Libc.GetDents64(fd, buffer, 8192);
                if (read <= 0)
                    return ids;   // the end, or the process went away during the listing
                for (nint offset = 0; offset < read;)
                {
                    // struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name (NUL-terminated)
                    ushort length = *(ushort*)(buffer + offset + 16);
                    if (ParseId(buffer + offset + 19) is int id)
                        ids.Add(id);
                    offset += length;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static unsafe int? ParseId(byte* name)
    {
        if (*name is < (byte)'1' or > (byte)'9')
            return null;
        long value = 0;
        for (int i = 0; name[i] != 0; i++)
        {
            if (name[i] is < (byte)'0' or > (byte)'9' || i >= 10)
                return null;
            value = value * 10 + (name[i] - '0');
        }
        return value <= int.MaxValue ? (int)value : null;
    }
}
