using MicroEnforcer.Interop;
namespace MicroEnforcer.Procfs;

/// <summary>/proc/PID/comm: the name a process runs under (the exec'd path's last component).</summary>
internal static class ProcComm
{
    public static string? Read(int pid)
    {
        Span<byte> comm = stackalloc byte[32];   // TASK_COMM_LEN is 16
        int n = ProcFile.ReadOnce($"/proc/{pid}/comm", comm);
        return n <= 0 || n == comm.Length ? null : PathText.Decode(comm[..n].TrimEnd((byte)'\n'));
    }
}
