using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    // struct utsname on Linux: sysname, nodename, release, version, machine, domainname, each
    // __NEW_UTS_LEN + 1 = 65 bytes, NUL-terminated.
    private const int UtsFieldLength = 65;
    private const int UtsNodeName = 1;

    [LibraryImport(Library, EntryPoint = "uname", SetLastError = true)]
    private static unsafe partial int Uname(byte* buffer);

    /// <summary>The node name of this UTS namespace (a container's hostname: its pod's name in Kubernetes), or null.</summary>
    internal static unsafe string? NodeName()
    {
        byte* buffer = stackalloc byte[6 * UtsFieldLength];
        if (Uname(buffer) != 0)
            return null;
        var field = new ReadOnlySpan<byte>(buffer + UtsNodeName * UtsFieldLength, UtsFieldLength);
        int end = field.IndexOf((byte)0);
        return PathText.Decode(end < 0 ? field : field[..end]);
    }
}
