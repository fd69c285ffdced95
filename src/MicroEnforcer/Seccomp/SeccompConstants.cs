namespace MicroEnforcer.Seccomp;

/// <summary>Kernel ABI values for seccomp filters (linux/seccomp.h, linux/audit.h).</summary>
internal static class SeccompConstants
{
    public const uint RET_KILL_PROCESS = 0x80000000;
    public const uint RET_ERRNO = 0x00050000;
    public const uint RET_USER_NOTIF = 0x7fc00000;
    public const uint RET_ALLOW = 0x7fff0000;

    public const uint AUDIT_ARCH_X86_64 = 0xc000003e;
    public const uint AUDIT_ARCH_I386 = 0x40000003;

    /// <summary>x32 system calls run under AUDIT_ARCH_X86_64 with this bit set in the number.</summary>
    public const uint X32_SYSCALL_BIT = 0x40000000;

    // Offsets into struct seccomp_data.
    public const uint OffsetNr = 0;
    public const uint OffsetArch = 4;
}
