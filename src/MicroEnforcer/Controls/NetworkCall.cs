using System.Net;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// A network call of the workload as PID 1 read it, once (see <see cref="NetworkCallReader"/>):
/// the caller's socket, taken into PID 1, the address and the data. The network controls judge
/// it (<see cref="INetworkControl"/>), and PID 1 performs exactly it (<see cref="NetworkPerformer"/>).
/// </summary>
internal sealed class NetworkCall : IDisposable
{
    public required NetworkOperation Operation { get; init; }

    /// <summary>The entry point's name for events: connect, bind, listen, sendto, sendmsg, sendmmsg.</summary>
    public required string Syscall { get; init; }

    public required int Tid { get; init; }

    public required CallerSocket Socket { get; init; }

    /// <summary>Where it goes: the connect's address; the send's destination, or the connected peer; a raw packet's own header's.</summary>
    public IPEndPoint? Remote { get; init; }

    /// <summary>A raw packet's sockaddr when its IP header names another destination: the kernel routes by this one.</summary>
    public IPEndPoint? RemoteRoute { get; init; }

    /// <summary>The send names its destination itself (sendto with an address, a message with msg_name), rather than the connected peer.</summary>
    public bool ExplicitDestination { get; init; }

    /// <summary>Bind: the address asked for (port 0: the kernel picks one). Listen: the address it is bound to.</summary>
    public IPEndPoint? Local { get; init; }

    /// <summary>connect and bind: the sockaddr as read, which PID 1 passes on unchanged.</summary>
    public byte[]? Address { get; init; }

    /// <summary>Sends: the messages as read (one, but for sendmmsg).</summary>
    public IReadOnlyList<OutgoingMessage> Messages { get; init; } = [];

    /// <summary>Sends: the flags argument. Listen: the backlog.</summary>
    public int Flags { get; init; }

    /// <summary>sendmmsg: the caller's vector, where the kernel reports each message's length; and its layout.</summary>
    public ulong MessageVector { get; init; }

    public bool CompatLayout { get; init; }

    public string Transport => Socket.Transport;

    /// <summary>The first message's data (a DNS query, a raw packet), or empty.</summary>
    public ReadOnlySpan<byte> Payload => Messages.Count > 0 ? Messages[0].Data : [];

    /// <summary>Every destination the call reaches (<see cref="Remote"/>, <see cref="RemoteRoute"/>, and each sendmmsg message's).</summary>
    public IEnumerable<IPEndPoint> Destinations()
    {
        if (Remote is not null)
            yield return Remote;
        if (RemoteRoute is not null)
            yield return RemoteRoute;
        for (int i = 1; i < Messages.Count; i++)
        {
            if (Messages[i].Destination is { } other)
                yield return other;
        }
    }

    /// <summary>
    /// Set by a control before the call is performed: connect to this endpoint instead (the DNS
    /// gate), then <see cref="Redirected"/> is told the caller socket's local address.
    /// </summary>
    public IPEndPoint? RedirectTo { get; set; }

    public Action<IPEndPoint?>? Redirected { get; set; }

    /// <summary>
    /// Set by a control before a send is performed: connect the (datagram) socket to this
    /// endpoint first. A socket the DNS gate stood in for goes back to its real server before a
    /// send PID 1 can read itself, so that the answer comes from the server's own address
    /// (glibc and musl ignore answers from any other).
    /// </summary>
    public IPEndPoint? ReconnectTo { get; set; }

    /// <summary>The DNS interception has looked at this call (several controls share it).</summary>
    public bool DnsScreened { get; set; }

    /// <summary>The kind the filter notified.</summary>
    public SyscallKind Kind { get; init; }

    public void Dispose() => Socket.Dispose();
}
