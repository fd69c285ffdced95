namespace MicroEnforcer.Seccomp;

/// <summary>Maps (arch, nr) of a notification to what the call is, and whether its pointers are 32-bit.</summary>
internal static class SyscallClassifier
{
    public static (SyscallKind Kind, bool Pointers32) Classify(uint arch, uint nr) => arch switch
    {
        SeccompConstants.AUDIT_ARCH_X86_64 when nr >= SeccompConstants.X32_SYSCALL_BIT => (X32(nr), true),
        SeccompConstants.AUDIT_ARCH_X86_64 => (X86_64(nr), false),
        SeccompConstants.AUDIT_ARCH_I386 => (I386(nr), true),
        _ => (SyscallKind.Other, false),
    };

    private static SyscallKind X86_64(uint nr) => nr switch
    {
        SyscallTable.X86_64.Execve => SyscallKind.Execve,
        SyscallTable.X86_64.Execveat => SyscallKind.Execveat,
        SyscallTable.X86_64.Fork => SyscallKind.Fork,
        SyscallTable.X86_64.Vfork => SyscallKind.Vfork,
        SyscallTable.X86_64.Clone => SyscallKind.Clone,
        SyscallTable.X86_64.Dup => SyscallKind.Dup,
        SyscallTable.X86_64.Dup2 => SyscallKind.Dup2,
        SyscallTable.X86_64.Dup3 => SyscallKind.Dup3,
        SyscallTable.X86_64.Fcntl => SyscallKind.FcntlDupfd,
        SyscallTable.X86_64.Connect => SyscallKind.Connect,
        SyscallTable.X86_64.Utime or SyscallTable.X86_64.Utimes or SyscallTable.X86_64.Futimesat or SyscallTable.X86_64.Utimensat => SyscallKind.SetTimes,
        _ => SyscallKind.Other,
    };

    private static SyscallKind X32(uint nr) => nr switch
    {
        SyscallTable.X32.Execve => SyscallKind.Execve,
        SyscallTable.X32.Execveat => SyscallKind.Execveat,
        SyscallTable.X32.Fork => SyscallKind.Fork,
        SyscallTable.X32.Vfork => SyscallKind.Vfork,
        SyscallTable.X32.Clone => SyscallKind.Clone,
        SyscallTable.X32.Dup => SyscallKind.Dup,
        SyscallTable.X32.Dup2 => SyscallKind.Dup2,
        SyscallTable.X32.Dup3 => SyscallKind.Dup3,
        SyscallTable.X32.Fcntl => SyscallKind.FcntlDupfd,
        SyscallTable.X32.Connect => SyscallKind.Connect,
        SyscallTable.X32.Utime or SyscallTable.X32.Utimes or SyscallTable.X32.Futimesat or SyscallTable.X32.Utimensat => SyscallKind.SetTimes,
        _ => SyscallKind.Other,
    };

    private static SyscallKind I386(uint nr) => nr switch
    {
        SyscallTable.I386.Execve => SyscallKind.Execve,
        SyscallTable.I386.Execveat => SyscallKind.Execveat,
        SyscallTable.I386.Fork => SyscallKind.Fork,
        SyscallTable.I386.Vfork => SyscallKind.Vfork,
        SyscallTable.I386.Clone => SyscallKind.Clone,
        SyscallTable.I386.Dup => SyscallKind.Dup,
        SyscallTable.I386.Dup2 => SyscallKind.Dup2,
        SyscallTable.I386.Dup3 => SyscallKind.Dup3,
        SyscallTable.I386.Fcntl or SyscallTable.I386.Fcntl64 => SyscallKind.FcntlDupfd,
        SyscallTable.I386.Connect => SyscallKind.Connect,
        SyscallTable.I386.SocketCall => SyscallKind.SocketCallConnect,
        SyscallTable.I386.Utime or SyscallTable.I386.Utimes or SyscallTable.I386.Futimesat or SyscallTable.I386.Utimensat
            or SyscallTable.I386.UtimensatTime64 => SyscallKind.SetTimes,
        _ => SyscallKind.Other,
    };

    public static string Name(SyscallKind kind) => kind switch
    {
        SyscallKind.Execve => "execve",
        SyscallKind.Execveat => "execveat",
        SyscallKind.Fork => "fork",
        SyscallKind.Vfork => "vfork",
        SyscallKind.Clone => "clone",
        SyscallKind.Dup => "dup",
        SyscallKind.Dup2 => "dup2",
        SyscallKind.Dup3 => "dup3",
        SyscallKind.FcntlDupfd => "fcntl",
        SyscallKind.Connect or SyscallKind.SocketCallConnect => "connect",
        SyscallKind.SetTimes => "utimensat",
        _ => "unknown",
    };
}
