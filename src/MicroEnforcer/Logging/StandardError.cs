using MicroEnforcer.Interop;

namespace MicroEnforcer.Logging;

/// <summary>
/// Writes whole lines to fd 2 with write(2). Not Console: Console initialises the runtime's
/// terminal and signal handling, which installs a SIGCHLD handler in PID 1 (see DESIGN). One
/// write per line keeps lines from different threads (and the workload) from interleaving.
/// </summary>
internal static class StandardError
{
    private static readonly Lock s_lock = new();

    public static void WriteLine(ReadOnlySpan<byte> utf8Line) => WriteLine(2, utf8Line);

    public static void WriteLine(string line) => WriteLine(2, System.Text.Encoding.UTF8.GetBytes(line));

    public static void WriteLine(int fd, ReadOnlySpan<byte> utf8Line)
    {
        byte[] buffer = new byte[utf8Line.Length + 1];
        utf8Line.CopyTo(buffer);
        buffer[^1] = (byte)'\n';
        WriteAll(fd, buffer);
    }

    public static unsafe void WriteAll(int fd, ReadOnlySpan<byte> buffer)
    {
        lock (s_lock)
        {
            fixed (byte* p = buffer)
            {
                int written = 0;
                while (written < buffer.Length)
                {
                    nint n = Libc.Write(fd, p + written, (nuint)(buffer.Length - written));
                    if (n < 0)
                    {
                        if (Libc.LastErrno == Libc.EINTR)
                            continue;
                        return;   // nowhere left to report to
                    }
                    written += (int)n;
                }
            }
        }
    }
}
