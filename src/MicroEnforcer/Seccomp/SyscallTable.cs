namespace MicroEnforcer.Seccomp;

/// <summary>
/// The syscalls the enforcer intercepts, by ABI. An i386 process (int 0x80, or a 32-bit binary)
/// and an x32 process reach the same kernel functions under other numbers, so each rule lists
/// every entry point; a filter that only knew the x86-64 numbers could be walked around.
/// </summary>
internal static class SyscallTable
{
    public static class X86_64
    {
        public const uint Dup = 32, Dup2 = 33, Connect = 42, Clone = 56, Fork = 57, Vfork = 58, Execve = 59,
            Fcntl = 72, Utime = 132, Utimes = 235, Futimesat = 261, Utimensat = 280, Dup3 = 292, Execveat = 322, IoUringSetup = 425, IoUringEnter = 426, IoUringRegister = 427, Clone3 = 435;
    }

    /// <summary>x32 shares the x86-64 numbers of these calls ("common"), with the x32 bit set,
    /// except execve and execveat, which have x32-specific entries.</summary>
    public static class X32
    {
        private const uint Bit = SeccompConstants.X32_SYSCALL_BIT;
        public const uint Dup = Bit | X86_64.Dup, Dup2 = Bit | X86_64.Dup2, Connect = Bit | X86_64.Connect,
            Clone = Bit | X86_64.Clone, Fork = Bit | X86_64.Fork, Vfork = Bit | X86_64.Vfork, Fcntl = Bit | X86_64.Fcntl,
            Dup3 = Bit | X86_64.Dup3, Clone3 = Bit | X86_64.Clone3,
            Utime = Bit | X86_64.Utime, Utimes = Bit | X86_64.Utimes, Futimesat = Bit | X86_64.Futimesat, Utimensat = Bit | X86_64.Utimensat,
            IoUringSetup = Bit | X86_64.IoUringSetup, IoUringEnter = Bit | X86_64.IoUringEnter, IoUringRegister = Bit | X86_64.IoUringRegister;
        public const uint Execve = Bit | 520, Execveat = Bit | 545;
    }

    public static class I386
    {
        public const uint Fork = 2, Execve = 11, Utime = 30, Dup = 41, Dup2 = 63, SocketCall = 102, Clone = 120, Vfork = 190,
            Fcntl64 = 221, Fcntl = 55, Utimes = 271, Futimesat = 299, Utimensat = 320, Dup3 = 330, Execveat = 358, Connect = 362,
            UtimensatTime64 = 412,
            IoUringSetup = 425, IoUringEnter = 426, IoUringRegister = 427, Clone3 = 435;
    }
}
