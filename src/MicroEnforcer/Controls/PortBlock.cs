using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Port Block, on every bind, listen, connect and send of an Internet socket that the
/// <see cref="NetworkGate"/> reads: an inbound port (bind, or the port listen takes) or an
/// outbound remote port (connect, a send's destination, a raw packet's own header) that the
/// policy lists, or that its allow list does not, is refused with EACCES. Port 0 in a bind asks
/// the kernel for a port, and is judged at listen by the port it got.
/// </summary>
internal sealed class PortBlock(PortBlockPolicy policy) : INetworkControl
{
    public const string ControlName = "portBlock";

    public string Name => ControlName;

    public EnforcementMode Mode => policy.Mode;

    public SyscallVerdict Judge(NetworkCall call)
    {
        switch (call.Operation)
        {
            case NetworkOperation.Bind or NetworkOperation.Listen when call.Local is { Port: > 0 } local
                && Refused(local.Port, policy.InboundPorts, policy.AllowedInboundPorts) is { } rule:
                return NetworkFindings.Object(ControlName, call, $"{NetworkPerformer.Describe(call, local)}: inbound port {local.Port} {rule}", local: local);
            case NetworkOperation.Connect or NetworkOperation.Send:
                foreach (IPEndPoint remote in call.Destinations())
                {
                    if ((remote.Port > 0 || call.Socket.Type != Libc.SOCK_RAW)
                        && Refused(remote.Port, policy.OutboundPorts, policy.AllowedOutboundPorts) is { } outbound)
                    {
                        return NetworkFindings.Object(ControlName, call, $"{NetworkPerformer.Describe(call, remote)}: outbound port {remote.Port} {outbound}", remote);
                    }
                }
                break;
        }
        return SyscallVerdict.Continue;
    }

    public void Completed(NetworkCall call, long result)
    {
    }

    // Why the port is refused ("is blocked (22)", "is not allowed (80, 443)"), or null.
    private static string? Refused(int port, PolicyList<PortRange> blocked, PolicyList<PortRange>? allowed)
    {
        if (allowed is not null)
            return allowed.Any(range => range.Contains(port)) ? null : $"is not among the allowed ports ({string.Join(", ", allowed)})";
        foreach (PortRange range in blocked)
        {
            if (range.Contains(port))
                return $"is blocked ({range})";
        }
        return null;
    }
}
