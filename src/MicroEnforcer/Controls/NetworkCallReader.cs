using System.Buffers.Binary;
using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Reads a notified network call into a <see cref="NetworkCall"/>, once: the registers (or, for
/// i386's socketcall, the argument words in memory), the socket (taken into PID 1), the sockaddr
/// and the data. Every entry point: connect, bind, listen, sendto, sendmsg, sendmmsg under x86-64,
/// x32 (whose sendmsg and sendmmsg take 32-bit message headers) and i386 (direct entries and
/// socketcall).
/// </summary>
internal static class NetworkCallReader
{
    // linux/net.h: socketcall's call numbers, and how many argument words each takes.
    private const uint SYS_BIND = 2, SYS_CONNECT = 3, SYS_LISTEN = 4, SYS_SEND = 9, SYS_SENDTO = 11, SYS_SENDMSG = 16, SYS_SENDMMSG = 20;

    /// <summary>What PID 1 copies of one send at most: a datagram is at most 64 KiB; a stream send is cut here (a short write, which streams allow).</summary>
    public const int MaxData = 256 * 1024;

    private const int MaxControl = 64 * 1024;
    private const int MaxIovecs = 1024;   // UIO_MAXIOV
    private const int MaxMessages = 1024; // sendmmsg's vlen is capped at UIO_MAXIOV by the kernel too

    /// <summary>
    /// The call, or null with <paramref name="answer"/>: 0 when it is none of the network
    /// controls' business (not an Internet socket, or a socketcall of another kind: CONTINUE),
    /// else the negative errno the kernel itself would answer (EBADF, ENOTSOCK, EFAULT, EINVAL),
    /// or <see cref="Undecidable"/> when PID 1 could not take the socket.
    /// </summary>
    public static NetworkCall? TryRead(in SyscallCall call, out int answer, out string? why)
    {
        answer = 0;
        why = null;
        bool compat = call.IsI386 || (call.Nr & SeccompConstants.X32_SYSCALL_BIT) != 0;
        Span<ulong> args = stackalloc ulong[6];
        SyscallKind kind = call.Kind;
        if (kind == SyscallKind.SocketCall)
        {
            uint number = (uint)call.Arg(0);
            (kind, int count) = number switch
            {
                SYS_BIND => (SyscallKind.Bind, 3),
                SYS_CONNECT => (SyscallKind.Connect, 3),
                SYS_LISTEN => (SyscallKind.Listen, 2),
                SYS_SEND => (SyscallKind.SendTo, 4),
                SYS_SENDTO => (SyscallKind.SendTo, 6),
                SYS_SENDMSG => (SyscallKind.SendMsg, 3),
                SYS_SENDMMSG => (SyscallKind.SendMmsg, 4),
                _ => (SyscallKind.Other, 0),
            };
            if (kind == SyscallKind.Other)
                return null;
            Span<byte> words = stackalloc byte[4 * count];
            if (ProcessMemory.TryRead(call.Tid, (uint)call.Arg(1), words) != 0)
            {
                answer = -Libc.EFAULT;
                return null;
            }
            for (int i = 0; i < count; i++)
                args[i] = BinaryPrimitives.ReadUInt32LittleEndian(words[(4 * i)..]);
        }
        else
        {
            for (int i = 0; i < 6; i++)
                args[i] = call.Word(i);
        }

        int fd = unchecked((int)(uint)args[0]);
        CallerSocket? socket = CallerSocket.Take(call.Tid, fd, out int errno);
        if (socket is null)
        {
            (answer, why) = errno is Libc.EBADF or Libc.ENOTSOCK
                ? (-errno, null)
                : (Undecidable, $"could not take fd {fd} of the caller: {Libc.DescribeErrno(errno)}");
            return null;
        }
        if (!socket.IsInternet)
        {
            socket.Dispose();   // unix, netlink, packet sockets: not the network controls' (docs/limits.md)
            return null;
        }
        try
        {
            NetworkCall? read = kind switch
            {
                SyscallKind.Connect => WithAddress(call.Tid, socket, NetworkOperation.Connect, "connect", args[1], args[2], out answer),
                SyscallKind.Bind => WithAddress(call.Tid, socket, NetworkOperation.Bind, "bind", args[1], args[2], out answer),
                SyscallKind.Listen => new NetworkCall
                {
                    Operation = NetworkOperation.Listen, Syscall = "listen", Tid = call.Tid, Socket = socket, Kind = kind,
                    Local = socket.Local(), Flags = unchecked((int)(uint)args[1]),
                },
                SyscallKind.SendTo => SendTo(call.Tid, socket, args, out answer),
                SyscallKind.SendMsg => SendMsg(call.Tid, socket, args[1], unchecked((int)(uint)args[2]), compat, out answer),
                SyscallKind.SendMmsg => SendMmsg(call.Tid, socket, args[1], (uint)args[2], unchecked((int)(uint)args[3]), compat, out answer),
                _ => null,
            };
            if (read is null)
                socket.Dispose();
            return read;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The answer that is no errno: PID 1 could not take the socket (the gate decides by the modes).</summary>
    public const int Undecidable = int.MinValue + 3;

    private static NetworkCall? WithAddress(int tid, CallerSocket socket, NetworkOperation operation, string name, ulong pointer, ulong length, out int answer)
    {
        if (ReadAddress(tid, pointer, length, out answer) is not { } address)
            return null;
        IPEndPoint? endpoint = Sockaddr.Decode(address, socket.Family, operation);
        return new NetworkCall
        {
            Operation = operation, Syscall = name, Tid = tid, Socket = socket, Kind = operation == NetworkOperation.Bind ? SyscallKind.Bind : SyscallKind.Connect,
            Address = address,
            Remote = operation == NetworkOperation.Connect ? endpoint : null,
            Local = operation == NetworkOperation.Bind ? endpoint : null,
        };
    }

    // move_addr_to_kernel: a length above sockaddr_storage, or negative, is EINVAL; zero reads nothing.
    private static byte[]? ReadAddress(int tid, ulong pointer, ulong length, out int answer)
    {
        answer = 0;
        int size = unchecked((int)(uint)length);
        if (size < 0 || size > Sockaddr.MaxLength)
        {
            answer = -Libc.EINVAL;
            return null;
        }
        byte[] address = new byte[size];
        if (size > 0 && ProcessMemory.TryRead(tid, pointer, address) != 0)
        {
            answer = -Libc.EFAULT;
            return null;
        }
        return address;
    }

    private static NetworkCall? SendTo(int tid, CallerSocket socket, ReadOnlySpan<ulong> args, out int answer)
    {
        byte[]? name = null;
        if (args[4] != 0)
        {
            name = ReadAddress(tid, args[4], args[5], out answer);
            if (name is null)
                return null;
        }
        if (ReadData(tid, socket, args[1], args[2], out answer) is not { } data)
            return null;
        var message = new OutgoingMessage(data, name, null, name is null ? null : Sockaddr.Decode(name, socket.Family, NetworkOperation.Send));
        return Send(tid, socket, "sendto", [message], unchecked((int)(uint)args[3]), 0, false);
    }

    private static byte[]? ReadData(int tid, CallerSocket socket, ulong pointer, ulong length, out int answer)
    {
        answer = 0;
        long size = unchecked((long)length);
        if (size < 0 || size > int.MaxValue)
        {
            answer = -Libc.EINVAL;
            return null;
        }
        if (size > MaxData)
        {
            if (socket.Type != Libc.SOCK_STREAM)
            {
                answer = -Libc.EMSGSIZE;
                return null;
            }
            size = MaxData;
        }
        byte[] data = new byte[size];
        if (size > 0 && ProcessMemory.TryRead(tid, pointer, data) != 0)
        {
            answer = -Libc.EFAULT;
            return null;
        }
        return data;
    }

    private static NetworkCall? SendMsg(int tid, CallerSocket socket, ulong header, int flags, bool compat, out int answer)
    {
        if (ReadMessage(tid, socket, header, compat, out answer) is not { } message)
            return null;
        return Send(tid, socket, "sendmsg", [message], flags, 0, compat);
    }

    private static NetworkCall? SendMmsg(int tid, CallerSocket socket, ulong vector, uint count, int flags, bool compat, out int answer)
    {
        answer = 0;
        int stride = compat ? 32 : 64;   // (compat_)mmsghdr: the header and msg_len, padded
        var messages = new List<OutgoingMessage>();
        for (uint i = 0; i < Math.Min(count, MaxMessages); i++)
        {
            if (ReadMessage(tid, socket, vector + i * (ulong)stride, compat, out answer) is not { } message)
            {
                if (i == 0)
                    return null;
                answer = 0;   // the kernel sends those before the bad one and returns their count
                break;
            }
            messages.Add(message);
        }
        if (messages.Count == 0)
            return null;   // vlen 0: the kernel returns 0 without looking at the socket; so does PID 1
        return Send(tid, socket, "sendmmsg", messages, flags, vector, compat);
    }

    private static NetworkCall Send(int tid, CallerSocket socket, string name, List<OutgoingMessage> messages, int flags, ulong vector, bool compat)
    {
        OutgoingMessage first = messages[0];
        IPEndPoint? remote = first.Destination ?? (first.Name is null ? socket.Peer() : null);
        IPEndPoint? route = null;
        if (socket.Type == Libc.SOCK_RAW && RawPacket.Destination(first.Data, socket, remote) is { } packet)
        {
            if (remote is not null && !packet.Address.Equals(remote.Address))
                route = remote;
            remote = packet;
        }
        return new NetworkCall
        {
            Operation = NetworkOperation.Send, Syscall = name, Tid = tid, Socket = socket, Kind = SyscallKind.SendTo,
            Remote = remote, RemoteRoute = route, ExplicitDestination = first.Name is { Length: > 0 },
            Messages = messages, Flags = flags, MessageVector = vector, CompatLayout = compat,
        };
    }

    // struct msghdr (56 bytes) or compat_msghdr (28): name, namelen, iov, iovlen, control, controllen, flags.
    private static OutgoingMessage? ReadMessage(int tid, CallerSocket socket, ulong header, bool compat, out int answer)
    {
        answer = 0;
        Span<byte> raw = stackalloc byte[compat ? 28 : 56];
        if (ProcessMemory.TryRead(tid, header, raw) != 0)
        {
            answer = -Libc.EFAULT;
            return null;
        }
        ulong namePointer, iovPointer, controlPointer, iovCount, controlLength;
        uint nameLength;
        if (compat)
        {
            namePointer = BinaryPrimitives.ReadUInt32LittleEndian(raw);
            nameLength = BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]);
            iovPointer = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            iovCount = BinaryPrimitives.ReadUInt32LittleEndian(raw[12..]);
            controlPointer = BinaryPrimitives.ReadUInt32LittleEndian(raw[16..]);
            controlLength = BinaryPrimitives.ReadUInt32LittleEndian(raw[20..]);
        }
        else
        {
            namePointer = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            nameLength = BinaryPrimitives.ReadUInt32LittleEndian(raw[8..]);
            iovPointer = BinaryPrimitives.ReadUInt64LittleEndian(raw[16..]);
            iovCount = BinaryPrimitives.ReadUInt64LittleEndian(raw[24..]);
            controlPointer = BinaryPrimitives.ReadUInt64LittleEndian(raw[32..]);
            controlLength = BinaryPrimitives.ReadUInt64LittleEndian(raw[40..]);
        }
        byte[]? name = null;
        if (namePointer != 0 && nameLength > 0)   // ___sys_sendmsg: a null name (or none) is the connected peer
        {
            name = ReadAddress(tid, namePointer, nameLength, out answer);
            if (name is null)
                return null;
        }
        if (iovCount > MaxIovecs)
        {
            answer = -Libc.EMSGSIZE;
            return null;
        }
        byte[]? data = ReadIovecs(tid, socket, iovPointer, (int)iovCount, compat, out answer);
        if (data is null)
            return null;
        byte[]? control = null;
        if (controlLength > 0)
        {
            if (controlLength > MaxControl)
            {
                answer = -Libc.ENOBUFS;
                return null;
            }
            byte[] raw32or64 = new byte[controlLength];
            if (ProcessMemory.TryRead(tid, controlPointer, raw32or64) != 0)
            {
                answer = -Libc.EFAULT;
                return null;
            }
            control = compat ? ControlMessages.FromCompat(raw32or64) : raw32or64;
            if (control is null)
            {
                answer = -Libc.EINVAL;
                return null;
            }
        }
        return new OutgoingMessage(data, name, control, name is null ? null : Sockaddr.Decode(name, socket.Family, NetworkOperation.Send));
    }

    private static byte[]? ReadIovecs(int tid, CallerSocket socket, ulong pointer, int count, bool compat, out int answer)
    {
        answer = 0;
        int stride = compat ? 8 : 16;
        byte[] vectors = new byte[count * stride];
        if (count > 0 && ProcessMemory.TryRead(tid, pointer, vectors) != 0)
        {
            answer = -Libc.EFAULT;
            return null;
        }
        var pieces = new (ulong Base, long Length)[count];
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> v = vectors.AsSpan(i * stride, stride);
            pieces[i] = compat
                ? (BinaryPrimitives.ReadUInt32LittleEndian(v), BinaryPrimitives.ReadInt32LittleEndian(v[4..]))
                : (BinaryPrimitives.ReadUInt64LittleEndian(v), BinaryPrimitives.ReadInt64LittleEndian(v[8..]));
            if (pieces[i].Length < 0)
            {
                answer = -Libc.EINVAL;
                return null;
            }
            total += pieces[i].Length;
        }
        if (total > MaxData && socket.Type != Libc.SOCK_STREAM)
        {
            answer = -Libc.EMSGSIZE;
            return null;
        }
        byte[] data = new byte[Math.Min(total, MaxData)];
        int at = 0;
        foreach ((ulong start, long length) in pieces)
        {
            int take = (int)Math.Min(length, data.Length - at);
            if (take > 0 && ProcessMemory.TryRead(tid, start, data.AsSpan(at, take)) != 0)
            {
                answer = -Libc.EFAULT;
                return null;
            }
            at += take;
        }
        return data;
    }
}
