using System.Net;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// A caller's socket, taken into PID 1 with pidfd_getfd: the same open file (its flags, its
/// options, its state), under a descriptor of PID 1's that no thread of the caller can replace.
/// What PID 1 performs on it happens to the caller's socket. It is taken from the calling thread
/// itself (PIDFD_THREAD): a thread that unshared its descriptor table has sockets of its own.
/// </summary>
internal sealed class CallerSocket : IDisposable
{
    private const int PIDFD_THREAD = 0x80;   // O_EXCL: a pidfd of one thread (Linux 6.9)

    private CallerSocket(int fd, int family, int type, int protocol, bool nonBlocking)
    {
        Fd = fd;
        Family = family;
        Type = type;
        Protocol = protocol;
        NonBlocking = nonBlocking;
    }

    /// <summary>PID 1's descriptor of it.</summary>
    public int Fd { get; private set; }

    /// <summary>AF_INET, AF_INET6, AF_UNIX...</summary>
    public int Family { get; }

    /// <summary>SOCK_STREAM, SOCK_DGRAM, SOCK_RAW...</summary>
    public int Type { get; }

    public int Protocol { get; }

    /// <summary>O_NONBLOCK on the open file: a call on it never waits.</summary>
    public bool NonBlocking { get; }

    public bool IsInternet => Family is Libc.AF_INET or Libc.AF_INET6;

    /// <summary>"tcp", "udp", "raw", or the protocol number.</summary>
    public string Transport => (Type, Protocol) switch
    {
        (Libc.SOCK_RAW, _) => "raw",
        (_, Libc.IPPROTO_TCP) or (Libc.SOCK_STREAM, 0) => "tcp",
        (_, Libc.IPPROTO_UDP) or (Libc.SOCK_DGRAM, 0) => "udp",
        _ => $"ip-protocol-{Protocol}",
    };

    /// <summary>
    /// Takes descriptor <paramref name="fd"/> of thread <paramref name="tid"/>. Null with
    /// <paramref name="errno"/> when it cannot: EBADF (no such descriptor), ENOTSOCK (not a socket,
    /// which the kernel would answer too), or why PID 1 could not take it (EPERM, ESRCH).
    /// </summary>
    public static CallerSocket? Take(int tid, int fd, out int errno)
    {
        int pidfd = (int)Libc.Raw(Libc.SYS_pidfd_open, tid, PIDFD_THREAD);
        if (pidfd == -Libc.EINVAL)
            pidfd = (int)Libc.Raw(Libc.SYS_pidfd_open, tid, 0);   // before 6.9: a thread-group leader only (else EINVAL again)
        if (pidfd < 0)
        {
            errno = -pidfd;
            return null;
        }
        int taken = (int)Libc.Raw(Libc.SYS_pidfd_getfd, pidfd, fd, 0);
        Libc.Close(pidfd);
        if (taken < 0)
        {
            errno = -taken;
            return null;
        }
        int family = Libc.SocketOption(taken, Libc.SOL_SOCKET, Libc.SO_DOMAIN);
        if (family < 0)
        {
            Libc.Close(taken);
            errno = -family == Libc.ENOTSOCK ? Libc.ENOTSOCK : -family;
            return null;
        }
        int type = Libc.SocketOption(taken, Libc.SOL_SOCKET, Libc.SO_TYPE);
        int protocol = Libc.SocketOption(taken, Libc.SOL_SOCKET, Libc.SO_PROTOCOL);
        long flags = Libc.Raw(Libc.SYS_fcntl, taken, Libc.F_GETFL);
        errno = 0;
        return new CallerSocket(taken, family, type, protocol, flags >= 0 && (flags & Libc.O_NONBLOCK) != 0);
    }

    /// <summary>The peer it is connected to (getpeername), or null.</summary>
    public IPEndPoint? Peer() => Name(Libc.SYS_getpeername);

    /// <summary>The local address it is bound to (getsockname), or null.</summary>
    public IPEndPoint? Local() => Name(Libc.SYS_getsockname);

    private unsafe IPEndPoint? Name(long call)
    {
        byte* address = stackalloc byte[Sockaddr.MaxLength];
        uint length = Sockaddr.MaxLength;
        return Libc.Raw(call, Fd, (long)address, (long)&length) < 0 ? null
            : Sockaddr.Decode(new ReadOnlySpan<byte>(address, (int)Math.Min(length, Sockaddr.MaxLength)), Family, NetworkOperation.Bind);
    }

    public void Dispose()
    {
        if (Fd >= 0)
            Libc.Close(Fd);
        Fd = -1;
    }
}
