using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const long SYS_pidfd_open = 434;
    internal const long SYS_pidfd_getfd = 438;

    // glibc 2.36 has pidfd_open and pidfd_getfd, but static glibc links them only from 2.36's
    // libc.a on some builds; the raw syscall is the same everywhere.
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall3(long number, long a1, long a2, long a3);

    /// <summary>Duplicates descriptor <paramref name="targetFd"/> of process <paramref name="pid"/> into
    /// this process (close-on-exec). Needs ptrace-attach rights over it.</summary>
    internal static int TakeDescriptor(int pid, int targetFd, out int errno)
    {
        errno = 0;
        long pidfd = Syscall3(SYS_pidfd_open, pid, 0, 0);
        if (pidfd < 0)
        {
            errno = LastErrno;
            return -1;
        }
        long fd = Syscall3(SYS_pidfd_getfd, pidfd, targetFd, 0);
        if (fd < 0)
            errno = LastErrno;
        Close((int)pidfd);
        return (int)fd;
    }
}
