using MicroEnforcer.Interop;

namespace MicroEnforcer.Procfs;

/// <summary>
/// Reads small /proc files with open/read/close into a buffer, without the FileStream machinery:
/// they sit on the exec path, where every microsecond is paid by every exec of the workload.
/// </summary>
internal static class ProcFile
{
    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; the count, or -errno.</summary>
    public static unsafe int Read(string path, Span<byte> buffer)
    {
        int fd = NativePath.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return -Libc.LastErrno;
        try
        {
            int total = 0;
            fixed (byte* p = buffer)
            {
                while (total < buffer.Length)
                {
                    nint n = Libc.Read(fd, p + total, (nuint)(buffer.Length - total));
                    if (n < 0)
                    {
                        if (Libc.LastErrno == Libc.EINTR)
                            continue;
                        return -Libc.LastErrno;
                    }
                    if (n == 0)
                        break;
                    total += (int)n;
                }
            }
            return total;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The whole file, for /proc files whose size stat does not tell (maps).</summary>
    public static byte[]? ReadAll(string path, int initialSize = 8192)
    {
        byte[] buffer = new byte[initialSize];
        while (true)
        {
            int n = Read(path, buffer);
            if (n < 0)
                return null;
            if (n < buffer.Length)
                return buffer[..n];
            buffer = new byte[buffer.Length * 2];
        }
    }
}
