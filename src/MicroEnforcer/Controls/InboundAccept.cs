using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// An accept or accept4 that PID 1 performs for the caller, so that Forensics learns who
/// connected: the kernel's own accept would return the peer to the caller only. PID 1 accepts on
/// the caller's listening socket (taken with pidfd_getfd), writes the peer's address and its
/// length where the caller asked, and installs the new connection in the caller with
/// SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND, which is the answer: the call returns the
/// descriptor's number. SOCK_NONBLOCK is set on the new open file by PID 1's accept4 (the caller
/// gets that same file); SOCK_CLOEXEC becomes the new descriptor's O_CLOEXEC.
///
/// Every accept is performed on a worker thread (the notify loop must never wait: the caller's
/// other thread may clear O_NONBLOCK on the listener at any moment). A non-blocking listener's
/// accept is performed at once: the kernel reads O_NONBLOCK at the accept, so a queue emptied by
/// another taker answers EAGAIN, as it would without PID 1. A blocking one waits in poll() on the
/// listener, looking every
/// <see cref="PollMs"/> whether the caller still waits (a signal interrupts the notification,
/// and the restarted call is a new one): a connection is then not taken for a caller that left.
/// The window left: a caller interrupted between PID 1's accept and the ADDFD; that connection is
/// closed (its client sees a reset), as it would be by a server killed at that instant.
/// </summary>
internal sealed class InboundAccept(SyscallCall call, CallerSocket listener, ulong addressPointer, ulong lengthPointer, int flags) : IDisposable
{
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    private const int PollMs = 100;

    public SyscallCall Call { get; } = call;

    public CallerSocket Listener { get; } = listener;

    public bool Blocking => !Listener.NonBlocking;

    /// <summary>After <see cref="Perform"/>: the connection's ends, when it was accepted.</summary>
    public IPEndPoint? Local { get; private set; }

    public IPEndPoint? Remote { get; private set; }

    /// <summary>Performs it and answers the caller; returns what the caller got (a descriptor, or -errno), or null: nobody waits any more.</summary>
    public unsafe long? Perform()
    {
        if (Blocking && !WaitForConnection())
            return null;
        byte* peer = stackalloc byte[Sockaddr.MaxLength];
        uint peerLength = Sockaddr.MaxLength;
        int accepted = (int)Libc.Raw(Libc.SYS_accept4, Listener.Fd, (long)peer, (long)&peerLength, SOCK_CLOEXEC | (flags & SOCK_NONBLOCK));
        if (accepted < 0)
        {
            Call.AnswerLater(accepted);
            return accepted;
        }
        try
        {
            var peerBytes = new ReadOnlySpan<byte>(peer, (int)Math.Min(peerLength, Sockaddr.MaxLength));
            Remote = Sockaddr.Decode(peerBytes, Listener.Family, NetworkOperation.Bind);
            Local = LocalOf(accepted);
            if (addressPointer != 0 && ReturnAddress(peerBytes, peerLength) is int errno and not 0)
            {
                Call.AnswerLater(-errno);   // as the kernel: the connection accepted is dropped, the call fails
                return -errno;
            }
            int installed = Call.AnswerWithDescriptor(accepted, (flags & SOCK_CLOEXEC) != 0);
            return installed < 0 && -installed == Libc.ENOENT ? null : installed;
        }
        finally
        {
            Libc.Close(accepted);   // the caller has its own descriptor of it now (or nobody does)
        }
    }

    // poll() until a connection waits (or the listener fails: accept then says why); false: the caller left.
    private unsafe bool WaitForConnection()
    {
        while (true)
        {
            var wait = new Libc.pollfd { fd = Listener.Fd, events = Libc.POLLIN };
            bool ready = Libc.Poll(&wait, 1, PollMs) > 0;
            // Looked at after the wait too: a restarted call (after a signal) has its own worker, and this one must not take its connection.
            if (!Call.IsStillValid())
                return false;
            if (ready)
                return true;
        }
    }

    // The peer's address, truncated to the caller's buffer, and its full length, as accept writes them.
    private int ReturnAddress(ReadOnlySpan<byte> peer, uint peerLength)
    {
        Span<byte> lengthBytes = stackalloc byte[4];
        if (ProcessMemory.TryRead(Call.Tid, lengthPointer, lengthBytes) != 0)
            return Libc.EFAULT;
        int room = BitConverter.ToInt32(lengthBytes);
        if (room < 0)
            return Libc.EINVAL;
        if (ProcessMemory.TryWrite(Call.Tid, addressPointer, peer[..Math.Min(room, peer.Length)]) != 0)
            return Libc.EFAULT;
        BitConverter.TryWriteBytes(lengthBytes, (int)peerLength);
        return ProcessMemory.TryWrite(Call.Tid, lengthPointer, lengthBytes) != 0 ? Libc.EFAULT : 0;
    }

    private unsafe IPEndPoint? LocalOf(int fd)
    {
        byte* address = stackalloc byte[Sockaddr.MaxLength];
        uint length = Sockaddr.MaxLength;
        return Libc.Raw(Libc.SYS_getsockname, fd, (long)address, (long)&length) < 0 ? null
            : Sockaddr.Decode(new ReadOnlySpan<byte>(address, (int)Math.Min(length, Sockaddr.MaxLength)), Listener.Family, NetworkOperation.Bind);
    }

    public void Dispose() => Listener.Dispose();
}
