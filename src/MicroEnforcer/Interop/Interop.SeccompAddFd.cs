using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>
/// SECCOMP_IOCTL_NOTIF_ADDFD (Linux 5.9; SEND, 5.14): installs one of PID 1's open files into the
/// notified caller; with SECCOMP_ADDFD_FLAG_SEND that is also the answer, the call returning the
/// new descriptor's number (how PID 1 answers an accept it performed itself).
/// </summary>
internal static partial class Libc
{
    internal const uint SECCOMP_IOCTL_NOTIF_ADDFD = 0x40182103;   // _IOW('!', 3, struct seccomp_notif_addfd)
    internal const uint SECCOMP_ADDFD_FLAG_SEND = 2;

    [StructLayout(LayoutKind.Sequential)]
    internal struct seccomp_notif_addfd
    {
        public ulong id;
        public uint flags;
        public uint srcfd;
        public uint newfd;
        public uint newfd_flags;
    }
}
