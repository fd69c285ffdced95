using System.Net;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>A network control's objection to a call, with the endpoints and protocol its event names.</summary>
internal static class NetworkFindings
{
    public static SyscallVerdict Object(string control, NetworkCall call, string reason, IPEndPoint? remote = null, IPEndPoint? local = null,
        string? domain = null) =>
        SyscallVerdict.Object(new ControlFinding(control, reason)
        {
            Remote = remote is null ? null : Sockaddr.Text(remote),
            Local = local is null ? null : Sockaddr.Text(local),
            Protocol = call.Transport,
            Domain = domain,
        }, Libc.EACCES);
}
