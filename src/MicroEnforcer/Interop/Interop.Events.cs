using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const int SFD_CLOEXEC = 0x80000;
    internal const int EFD_CLOEXEC = 0x80000;
    internal const short POLLIN = 1;
    internal const short POLLERR = 8;
    internal const short POLLHUP = 16;
    internal const short POLLNVAL = 32;
    internal const int AF_UNIX = 1;
    internal const int SOCK_STREAM = 1;
    internal const int SOCK_CLOEXEC = 0x80000;

    [StructLayout(LayoutKind.Sequential, Size = 128)]
    internal struct signalfd_siginfo
    {
        public uint ssi_signo;
        public int ssi_errno;
        public int ssi_code;
        public uint ssi_pid;
        public uint ssi_uid;
        public int ssi_fd;
        public uint ssi_tid;
        public uint ssi_band;
        public uint ssi_overrun;
        public uint ssi_trapno;
        public int ssi_status;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    /// <summary>glibc's sigset_t is 1024 bits; the kernel reads the first 64.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 128)]
    internal struct sigset_t
    {
        public ulong bits;
    }

    [LibraryImport(Library, EntryPoint = "signalfd", SetLastError = true)]
    internal static unsafe partial int SignalFd(int fd, sigset_t* mask, int flags);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initval, int flags);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(pollfd* fds, nuint nfds, int timeout);

    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    internal static unsafe partial int SocketPair(int domain, int type, int protocol, int* sv);
}
