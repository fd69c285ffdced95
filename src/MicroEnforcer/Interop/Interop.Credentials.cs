using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

// The credential calls are made raw, never through glibc: glibc's setgroups, setfsuid and the
// set*id family broadcast the change to every thread of the process (SIGSETXID), while the
// kernel's calls change the calling thread's credentials only, which is what a thread acting as
// another process's caller needs (see Controls/CallerCredentials.cs).
internal static partial class Libc
{
    internal const long SYS_setgroups = 116;
    internal const long SYS_setfsuid = 122;
    internal const long SYS_setfsgid = 123;
    internal const long SYS_capget = 125;
    internal const long SYS_capset = 126;
    internal const long SYS_getgroups = 115;
    internal const long SYS_unshare = 272;
    internal const long SYS_chroot = 161;
    internal const long SYS_fchdir = 81;

    internal const uint _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    internal const long CLONE_FS = 0x200;

    [StructLayout(LayoutKind.Sequential)]
    internal struct cap_user_header
    {
        public uint version;
        public int pid;
    }

    /// <summary>One of the two 32-bit halves of the three sets (version 3 takes two).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct cap_user_data
    {
        public uint effective;
        public uint permitted;
        public uint inheritable;
    }

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6);
}
