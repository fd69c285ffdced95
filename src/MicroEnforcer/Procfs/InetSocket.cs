using System.Net;

namespace MicroEnforcer.Procfs;

/// <summary>An AF_INET or AF_INET6 socket as /proc/PID/net/{tcp,udp}{,6} shows it.</summary>
internal sealed record InetSocket(string Protocol, ulong Inode, IPEndPoint Local, IPEndPoint Remote)
{
    public string RemoteText => Remote.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Remote.Address}]:{Remote.Port}"
        : $"{Remote.Address}:{Remote.Port}";
}
