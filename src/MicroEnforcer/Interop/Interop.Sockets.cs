using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>
/// The BSD socket calls PID 1 makes on its own sockets (the DNS gate's listeners and upstream
/// connections). Addresses go through <see cref="InetSocketAddress"/>: a sockaddr_in or
/// sockaddr_in6 in a 28-byte buffer.
/// </summary>
internal static partial class Libc
{
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOL_SOCKET = 1;
    internal const int SO_ERROR = 4;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_LINGER = 13;
    internal const int IPPROTO_IPV6 = 41;
    internal const int IPV6_V6ONLY = 26;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int SHUT_WR = 1;
    internal const short POLLOUT = 4;
    internal const int EINPROGRESS = 115;
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
