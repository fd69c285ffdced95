using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>epoll, for Forensics' thread that waits on many pidfds at once (poll would rebuild the set on every wake).</summary>
internal static partial class Libc
{
    internal const int EPOLL_CLOEXEC = 0x80000;
    internal const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    internal const uint EPOLLIN = 1;

    /// <summary>struct epoll_event is packed on x86-64 (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct epoll_event
    {
        public uint events;
        public ulong data;
    }

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static unsafe partial int EpollCtl(int epfd, int op, int fd, epoll_event* ev);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    internal static unsafe partial int EpollWait(int epfd, epoll_event* events, int maxEvents, int timeout);
}
