using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Performs a judged <see cref="NetworkCall"/> in PID 1, on the caller's own socket, with what
/// PID 1 read once: the kernel never looks at the caller's memory again, so a second thread or
/// process rewriting the sockaddr or the data after the check changes nothing. Returns what the
/// caller's call returns: a value, or a negative errno.
///
/// What differs from the caller doing it itself, and how it is made not to:
/// - Credentials. The kernel checks the current task's: PID 1 could bind a port below
///   ip_unprivileged_port_start for a caller without CAP_NET_BIND_SERVICE. That check is made
///   here against the caller's effective capabilities. Nothing else on an Internet socket looks at
///   the current task's credentials (the socket's owner is its creator; LSMs aside).
/// - Blocking. A connect or send on a blocking socket waits in PID 1 (on a worker thread, never
///   the notify loop: <see cref="NetworkWorkers"/>), as long as it would have in the caller, and
///   with the socket's own timeouts (SO_SNDTIMEO bounds a connect). The caller, parked in its
///   notification, waits killably: a signal other than SIGKILL does not interrupt the wait with
///   EINTR as it would a native connect (docs/limits.md).
/// - Socket options set before the call are the socket's, and apply as they would.
/// </summary>
internal static class NetworkPerformer
{
    private const int CAP_NET_BIND_SERVICE = 10;

    /// <summary>
    /// Whether the call may wait: then it must not run on the notify loop. A stream connect
    /// always may: O_NONBLOCK is the open file's, shared with the caller, whose other thread can
    /// clear it between PID 1's look and its connect (which would then wait on the loop, and
    /// every notified call of the workload with it). A send is performed on the loop only when
    /// the socket was non-blocking, or the caller asked MSG_DONTWAIT, and then with MSG_DONTWAIT
    /// (<see cref="SendFlags"/>), which holds whatever the flag became.
    /// </summary>
    public static bool MayBlock(NetworkCall call) => call.Operation switch
    {
        NetworkOperation.Connect => call.Socket.Type != Libc.SOCK_DGRAM && call.Socket.Type != Libc.SOCK_RAW,
        NetworkOperation.Send => !call.Socket.NonBlocking && (call.Flags & Libc.MSG_DONTWAIT) == 0,
        _ => false,
    };

    // On the notify loop, a send never waits (see MayBlock); on a worker, the caller's own flags.
    // Never MSG_ZEROCOPY: the kernel would keep sending from PID 1's copy of the data after the
    // call returned, when that memory may already hold something else of PID 1's.
    private static int SendFlags(NetworkCall call) =>
        (MayBlock(call) ? call.Flags : call.Flags | Libc.MSG_DONTWAIT) & ~MSG_ZEROCOPY;

    private const int MSG_ZEROCOPY = 0x4000000;

    public static long Perform(NetworkCall call) => call.Operation switch
    {
        NetworkOperation.Connect => Connect(call),
        NetworkOperation.Bind => Bind(call),
        NetworkOperation.Listen => Libc.Raw(Libc.SYS_listen, call.Socket.Fd, call.Flags),
        NetworkOperation.Send => Send(call),
        _ => -Libc.EINVAL,
    };

    private static unsafe long Connect(NetworkCall call)
    {
        byte[] address = call.RedirectTo is { } gate ? Sockaddr.Encode(gate, call.Socket.Family) : call.Address!;
        long result;
        fixed (byte* p = address)
            result = Libc.Raw(Libc.SYS_connect, call.Socket.Fd, (long)p, address.Length);
        if (call.RedirectTo is not null)
            call.Redirected?.Invoke(result == 0 || result == -Libc.EINPROGRESS ? call.Socket.Local() : null);
        return result;
    }

    private static unsafe long Bind(NetworkCall call)
    {
        byte[] address = call.Address!;
        if (call.Local is { Port: > 0 } local && local.Port < UnprivilegedPortStart() && !CallerHolds(call.Tid, CAP_NET_BIND_SERVICE))
            return -Libc.EACCES;
        fixed (byte* p = address)
            return Libc.Raw(Libc.SYS_bind, call.Socket.Fd, (long)p, address.Length);
    }

    private static bool CallerHolds(int tid, int capability) =>
        CallerCredentials.Read(tid) is { } caller && (caller.Effective & (1UL << capability)) != 0;

    // Per network namespace, and PID 1 shares the workload's; 1024 where the file cannot be read.
    private static int UnprivilegedPortStart() =>
        File.Exists("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        && int.TryParse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int start)
            ? start : 1024;

    private static unsafe long Send(NetworkCall call)
    {
        if (call.ReconnectTo is { } server)
        {
            byte[] address = Sockaddr.Encode(server, call.Socket.Family);
            long connected;
            fixed (byte* p = address)
                connected = Libc.Raw(Libc.SYS_connect, call.Socket.Fd, (long)p, address.Length);
            if (connected < 0)
                return connected;
        }
        if (call.Syscall == "sendto")
        {
            OutgoingMessage message = call.Messages[0];
            fixed (byte* data = message.Data)
            fixed (byte* name = message.Name)
            {
                return Libc.Raw(Libc.SYS_sendto, call.Socket.Fd, (long)data, message.Data.Length, SendFlags(call),
                    message.Name is null ? 0 : (long)name, message.Name?.Length ?? 0);
            }
        }

        int count = call.Messages.Count;
        var pins = new List<GCHandle>(count * 3);
        var headers = new Libc.mmsghdr[count];
        var vectors = new Libc.iovec[count];
        try
        {
            fixed (Libc.iovec* iov = vectors)
            fixed (Libc.mmsghdr* vector = headers)
            {
                for (int i = 0; i < count; i++)
                {
                    OutgoingMessage message = call.Messages[i];
                    iov[i] = new Libc.iovec { iov_base = Pin(message.Data, pins), iov_len = (nuint)message.Data.Length };
                    vector[i].msg_hdr = new Libc.msghdr
                    {
                        msg_name = message.Name is { Length: > 0 } ? Pin(message.Name, pins) : null,
                        msg_namelen = (uint)(message.Name?.Length ?? 0),
                        msg_iov = &iov[i],
                        msg_iovlen = 1,
                        msg_control = message.Control is { Length: > 0 } ? Pin(message.Control, pins) : null,
                        msg_controllen = (nuint)(message.Control?.Length ?? 0),
                    };
                }
                if (call.Syscall == "sendmsg")
                    return Libc.Raw(Libc.SYS_sendmsg, call.Socket.Fd, (long)&vector[0].msg_hdr, SendFlags(call));
                long sent = Libc.Raw(Libc.SYS_sendmmsg, call.Socket.Fd, (long)vector, count, SendFlags(call));
                ReportLengths(call, headers, sent);
                return sent;
            }
        }
        finally
        {
            foreach (GCHandle pin in pins)
                pin.Free();
        }
    }

    private static unsafe void* Pin(byte[] bytes, List<GCHandle> pins)
    {
        GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        pins.Add(pin);
        return (void*)pin.AddrOfPinnedObject();
    }

    // sendmmsg writes each sent message's length into the caller's vector (msg_len, after the header).
    private static void ReportLengths(NetworkCall call, Libc.mmsghdr[] headers, long sent)
    {
        int stride = call.CompatLayout ? 32 : 64, offset = call.CompatLayout ? 28 : 56;
        Span<byte> length = stackalloc byte[4];
        for (int i = 0; i < sent; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, headers[i].msg_len);
            ProcessMemory.TryWrite(call.Tid, call.MessageVector + (ulong)(i * stride + offset), length);
        }
    }

    /// <summary>"connect to 10.0.0.1:80 (tcp)" and the like, for reasons.</summary>
    public static string Describe(NetworkCall call, IPEndPoint endpoint) =>
        $"{call.Syscall} {(call.Operation == NetworkOperation.Bind || call.Operation == NetworkOperation.Listen ? "on" : "to")} {Sockaddr.Text(endpoint)} ({call.Transport})";
}
