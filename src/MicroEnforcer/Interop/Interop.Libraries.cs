using System.Runtime.CompilerServices;

[assembly: DisableRuntimeMarshalling]

namespace MicroEnforcer.Interop;

/// <summary>
/// Native declarations, after dotnet/runtime's Interop.Unix layout. Both libraries are bound at
/// link time (DirectPInvoke in the csproj): the binary is static and has no dlopen to fall back on.
/// Low-level wrappers return -1 and leave errno in Marshal.GetLastPInvokeError(); callers decide.
/// </summary>
internal static partial class Libc
{
    internal const string Library = "libc";
}

internal static partial class Shim
{
    internal const string Library = "microenforcer_shim";
}
