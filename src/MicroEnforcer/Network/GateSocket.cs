using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Network;

/// <summary>
/// The DNS gate's sockets: raw, non-blocking and close-on-exec file descriptors. Not
/// System.Net.Sockets: its Socket runs asynchronous operations on a runtime-owned epoll thread,
/// and PID 1 wants one thread it names and whose every call it can see (poll, recvfrom, sendto).
/// Calls return the byte count or -1 with the errno in <see cref="Libc.LastErrno"/>; "would
/// block" (EAGAIN) is the caller's to expect.
/// </summary>
internal static unsafe class GateSocket
{
    public static int Open(AddressFamily family, bool stream)
    {
        int domain = family == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        int type = (stream ? Libc.SOCK_STREAM : Libc.SOCK_DGRAM) | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC;
        return Libc.Socket(domain, type, 0);
    }

    /// <summary>A listening (TCP) or receiving (UDP) socket on <paramref name="address"/>, port chosen by the kernel.</summary>
    /// <exception cref="SystemCallException">The address is not available (no ::1 when IPv6 is off, say).</exception>
    public static int Listen(IPAddress address, bool stream)
    {
        int fd = Open(address.AddressFamily, stream);
        if (fd < 0)
            throw new SystemCallException("socket", Libc.LastErrno);
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = InetSocketAddress.Write(new IPEndPoint(address, 0), sockaddr);
        int result;
        fixed (byte* p = sockaddr)
            result = Libc.Bind(fd, p, length);
        if (result == 0 && stream)
            result = Libc.Listen(fd, 128);
        if (result != 0)
        {
            int errno = Libc.LastErrno;
            Libc.Close(fd);
            throw new SystemCallException(stream ? "bind+listen" : "bind", errno);
        }
        return fd;
    }

    public static IPEndPoint LocalEndPoint(int fd)
    {
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = sockaddr.Length;
        int result;
        fixed (byte* p = sockaddr)
            result = Libc.GetSockName(fd, p, &length);
        if (result != 0)
            throw new SystemCallException("getsockname", Libc.LastErrno);
        return InetSocketAddress.Read(sockaddr[..length]) ?? throw new InvalidOperationException("getsockname: not an IP socket");
    }

    /// <summary>0 when connected, -1 with EINPROGRESS when a stream socket's connect goes on (wait for POLLOUT, then <see cref="PendingError"/>).</summary>
    public static int Connect(int fd, IPEndPoint remote)
    {
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = InetSocketAddress.Write(remote, sockaddr);
        fixed (byte* p = sockaddr)
            return Libc.Connect(fd, p, length);
    }

    /// <summary>SO_ERROR: how a non-blocking connect ended (0: connected).</summary>
    public static int PendingError(int fd)
    {
        int error = 0, length = sizeof(int);
        return Libc.GetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length) == 0 ? error : Libc.LastErrno;
    }

    /// <summary>An accepted connection (non-blocking, close-on-exec) and its peer; -1 when none waits.</summary>
    public static int Accept(int listener, out IPEndPoint? peer)
    {
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = sockaddr.Length;
        int fd;
        fixed (byte* p = sockaddr)
            fd = Libc.Accept4(listener, p, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
        peer = fd >= 0 ? InetSocketAddress.Read(sockaddr[..Math.Min(length, sockaddr.Length)]) : null;
        return fd;
    }

    public static int ReceiveFrom(int fd, Span<byte> buffer, out IPEndPoint? source)
    {
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = sockaddr.Length;
        nint n;
        fixed (byte* b = buffer)
        fixed (byte* p = sockaddr)
            n = Libc.RecvFrom(fd, b, (nuint)buffer.Length, Libc.MSG_DONTWAIT, p, &length);
        source = n >= 0 ? InetSocketAddress.Read(sockaddr[..Math.Min(length, sockaddr.Length)]) : null;
        return (int)n;
    }

    public static int Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* b = buffer)
            return (int)Libc.RecvFrom(fd, b, (nuint)buffer.Length, Libc.MSG_DONTWAIT, null, null);
    }

    public static int SendTo(int fd, ReadOnlySpan<byte> data, IPEndPoint remote)
    {
        Span<byte> sockaddr = stackalloc byte[InetSocketAddress.MaxLength];
        int length = InetSocketAddress.Write(remote, sockaddr);
        fixed (byte* b = data)
        fixed (byte* p = sockaddr)
            return (int)Libc.SendTo(fd, b, (nuint)data.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL, p, length);
    }

    /// <summary>send on a connected socket; MSG_NOSIGNAL: a peer gone is EPIPE, never a SIGPIPE to PID 1.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
            return (int)Libc.SendTo(fd, b, (nuint)data.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL, null, 0);
    }

    /// <summary>Closes a connection with a reset (SO_LINGER 0): its peer reads ECONNRESET, as from a server that refused it.</summary>
    public static void Reset(int fd)
    {
        var linger = new Libc.linger { l_onoff = 1, l_linger = 0 };
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_LINGER, &linger, sizeof(Libc.linger));
        Libc.Close(fd);
    }
}
