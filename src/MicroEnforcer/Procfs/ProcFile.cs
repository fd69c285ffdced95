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

    /// <summary>
    /// One read(2), for /proc files made by a single seq_file show (comm, auxv, status) that fit
    /// in <paramref name="buffer"/>: their first read returns all of it, so the read that would
    /// return 0 is saved (they sit on every exec's path). A count equal to the buffer's length
    /// may be truncated; callers treat it as unreadable. The count, or -errno.
    /// </summary>
    public static unsafe int ReadOnce(string path, Span<byte> buffer)
    {
        int fd = NativePath.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return -Libc.LastErrno;
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Libc.Read(fd, p, (nuint)buffer.Length);
                    if (n >= 0)
                        return (int)n;
                    if (Libc.LastErrno != Libc.EINTR)
                        return -Libc.LastErrno;
                }
            }
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
