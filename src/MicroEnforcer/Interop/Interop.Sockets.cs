using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>
/// The socket calls of PID 1: those it performs for a workload caller on the caller's own socket
/// (taken with pidfd_getfd), by raw x86-64 syscall numbers (PID 1 is a 64-bit process whatever
/// the caller's ABI), and those the DNS gate makes on its own sockets, through libc. Addresses go
/// through <see cref="InetSocketAddress"/> or Controls.Sockaddr.
/// </summary>
internal static partial class Libc
{
    internal const long SYS_socket = 41, SYS_connect = 42, SYS_accept = 43, SYS_sendto = 44, SYS_sendmsg = 46, SYS_bind = 49,
        SYS_listen = 50, SYS_getsockname = 51, SYS_getpeername = 52, SYS_setsockopt = 54, SYS_getsockopt = 55,
        SYS_accept4 = 288, SYS_sendmmsg = 307, SYS_fcntl = 72;

    internal const int AF_INET = 2, AF_INET6 = 10;   // AF_UNIX, SOCK_STREAM: Interop.Events.cs
    internal const int SOCK_DGRAM = 2, SOCK_RAW = 3;
    internal const int SOL_SOCKET = 1, SO_TYPE = 3, SO_ERROR = 4, SO_PROTOCOL = 38, SO_DOMAIN = 39;
    internal const int IPPROTO_IP = 0, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41, IPPROTO_RAW = 255;
    internal const int IP_HDRINCL = 3;
    internal const int MSG_DONTWAIT = 0x40, MSG_FASTOPEN = 0x20000000;
    internal const int F_GETFL = 3;
    internal const int EINPROGRESS = 115, EMSGSIZE = 90, ENOTSOCK = 88, ENOBUFS = 105;

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct mmsghdr
    {
        public msghdr msg_hdr;
        public uint msg_len;
    }

    /// <summary>getsockopt(fd, SOL_SOCKET, option) as an int, or -errno.</summary>
    internal static unsafe int SocketOption(int fd, int level, int option)
    {
        int value = 0;
        uint length = sizeof(int);
        long result = Syscall6(SYS_getsockopt, fd, level, option, (long)&value, (long)&length, 0);
        return result < 0 ? -LastErrno : value;
    }

    /// <summary>A raw call's result as the kernel returns it: the value, or -errno.</summary>
    internal static long Raw(long number, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0, long a6 = 0)
    {
        long result = Syscall6(number, a1, a2, a3, a4, a5, a6);
        return result < 0 ? -LastErrno : result;
    }

    [LibraryImport(Library, EntryPoint = "process_vm_writev", SetLastError = true)]
    internal static unsafe partial nint ProcessVmWritev(int pid, iovec* local, nuint liovcnt, iovec* remote, nuint riovcnt, nuint flags);

    // The DNS gate's own sockets.
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_LINGER = 13;
    internal const int IPV6_V6ONLY = 26;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int SHUT_WR = 1;
    internal const short POLLOUT = 4;
    internal const int ECONNREFUSED = 111;
    internal const int EADDRNOTAVAIL = 99;
    internal const int EAFNOSUPPORT = 97;

    [StructLayout(LayoutKind.Sequential)]
    internal struct linger
    {
        public int l_onoff;
        public int l_linger;
    }

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    internal static unsafe partial int Bind(int fd, byte* address, int length);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);

    [LibraryImport(Library, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    internal static unsafe partial int Connect(int fd, byte* address, int length);

    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    internal static unsafe partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    internal static unsafe partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    internal static unsafe partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Library, EntryPoint = "recvfrom", SetLastError = true)]
    internal static unsafe partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* address, int* addressLength);

    /// <summary>sendto; with a null address, send on a connected socket.</summary>
    [LibraryImport(Library, EntryPoint = "sendto", SetLastError = true)]
    internal static unsafe partial nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);
}
