using System.Text;
using MicroEnforcer.Interop;
using MicroEnforcer.Controls;

namespace MicroEnforcer.Sessions;

/// <summary>
/// The name of PID 1's session socket: abstract (no file, so a read-only root filesystem does not
/// matter), and named after the pid namespace, because abstract names belong to the network
/// namespace and the containers of a Kubernetes pod share one.
/// </summary>
internal static class SessionSocket
{
    public static byte[]? Name()
    {
        string? pidNamespace = NativePath.ReadLink("/proc/self/ns/pid");   // "pid:[4026532...]"
        return pidNamespace is null ? null : Encoding.ASCII.GetBytes("microenforcer/sessions/" + pidNamespace);
    }
}
