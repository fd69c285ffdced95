namespace MicroEnforcer.Controls;

/// <summary>What a network call does with its socket, whatever its entry point (see <see cref="NetworkCall"/>).</summary>
internal enum NetworkOperation
{
    /// <summary>connect: an outbound connection (TCP), or a datagram socket's default destination.</summary>
    Connect,

    /// <summary>bind: a local address and port, which an inbound listener or a datagram receiver needs.</summary>
    Bind,

    /// <summary>listen: the socket accepts connections on the port it is bound to (or the one listen binds it to).</summary>
    Listen,

    /// <summary>sendto, sendmsg, sendmmsg: data, to the destination they name or to the connected peer.</summary>
    Send,
}
