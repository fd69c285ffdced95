using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>
/// PIDFD_GET_INFO (Linux 6.13) with PIDFD_INFO_EXIT (6.15): a process's wait status through its
/// pidfd once it has been reaped, by whichever parent: what Forensics reads of a process whose
/// parent reaped it before PID 1 could look at its zombie.
/// </summary>
internal static partial class Libc
{
    internal const uint PIDFD_GET_INFO = 0xC040FF0B;   // _IOWR(0xFF, 11, struct pidfd_info), the 64-byte first version
    internal const ulong PIDFD_INFO_EXIT = 1UL << 3;

    [StructLayout(LayoutKind.Sequential, Size = 64)]
    internal struct pidfd_info
    {
        public ulong mask;
        public ulong cgroupid;
        public uint pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        public int exit_code;
    }

    /// <summary>The reaped process's wait status, or null: not reaped yet, or a kernel before 6.15.</summary>
    internal static unsafe int? PidfdExitStatus(int pidfd)
    {
        var info = new pidfd_info { mask = PIDFD_INFO_EXIT };
        if (Ioctl(pidfd, PIDFD_GET_INFO, &info) < 0 || (info.mask & PIDFD_INFO_EXIT) == 0)
            return null;
        return info.exit_code;
    }
}
