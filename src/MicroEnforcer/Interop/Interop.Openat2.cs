using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const long SYS_openat2 = 437;
    internal const ulong RESOLVE_NO_XDEV = 0x01;
    internal const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    internal const ulong RESOLVE_NO_SYMLINKS = 0x04;
    internal const ulong RESOLVE_BENEATH = 0x08;
    internal const ulong RESOLVE_IN_ROOT = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    internal struct open_how
    {
        public ulong flags;
        public ulong mode;
        public ulong resolve;
    }

    // glibc 2.36 has no openat2 wrapper.
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long Syscall4(long number, long a1, void* a2, void* a3, long a4);
}
