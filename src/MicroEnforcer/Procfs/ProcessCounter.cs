using MicroEnforcer.Interop;

namespace MicroEnforcer.Procfs;

/// <summary>
/// Counts the processes in PID 1's pid namespace: the numeric entries of /proc, which lists
/// thread groups (threads are not counted), including processes that entered from outside
/// (exec sessions). The cgroup's pids.current would count threads, and is not always readable.
/// </summary>
internal sealed class ProcessCounter(string procPath = "/proc")
{
    private readonly byte[] _buffer = new byte[32 * 1024];

    public unsafe int Count()
    {
        int fd = NativePath.Open(procPath, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0)
            throw new SystemCallException($"open {procPath}", Libc.LastErrno);
        try
        {
            int count = 0;
            while (true)
            {
                nint read;
                fixed (byte* p = _buffer)
                    read = Libc.GetDents64(fd, p, (nuint)_buffer.Length);
                if (read < 0)
                    throw new SystemCallException($"getdents64 {procPath}", Libc.LastErrno);
                if (read == 0)
                    return count;
                for (int offset = 0; offset < read;)
                {
                    ushort length = (ushort)(_buffer[offset + 16] | (_buffer[offset + 17] << 8));
                    byte first = _buffer[offset + 19];
                    if (first is >= (byte)'1' and <= (byte)'9')
                        count++;
                    offset += length;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
