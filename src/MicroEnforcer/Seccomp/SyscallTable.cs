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
        public const uint Execve = 59;
        public const uint Execveat = 322;
    }

    public static class I386
    {
        public const uint Execve = 11;
        public const uint Execveat = 358;
    }

    public static class X32
    {
        public const uint Execve = SeccompConstants.X32_SYSCALL_BIT | 520;
        public const uint Execveat = SeccompConstants.X32_SYSCALL_BIT | 545;
    }
}
