using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

internal static partial class Libc
{
    internal const uint SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100;
    internal const uint SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101;
    internal const uint SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102;
    internal const uint SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104;
    internal const uint SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
    internal const uint SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1;   // Linux 6.6

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct seccomp_data
    {
        public int nr;
        public uint arch;
        public ulong instruction_pointer;
        public fixed ulong args[6];
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct seccomp_notif
    {
        public ulong id;
        public uint pid;
        public uint flags;
        public seccomp_data data;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct seccomp_notif_resp
    {
        public ulong id;
        public long val;
        public int error;
        public uint flags;
    }

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int Ioctl(int fd, nuint request, void* argp);
}
