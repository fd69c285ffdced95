namespace MicroEnforcer.Seccomp;

/// <summary>Maps (arch, nr) of a notification to what the call is, and whether its pointers are 32-bit (from <see cref="SyscallTable"/>).</summary>
internal static class SyscallClassifier
{
    public static (SyscallKind Kind, bool Pointers32) Classify(uint arch, uint nr) => arch switch
    {
        SeccompConstants.AUDIT_ARCH_X86_64 when nr >= SeccompConstants.X32_SYSCALL_BIT => (KindOf(Abi.X32, nr), true),
        SeccompConstants.AUDIT_ARCH_X86_64 => (KindOf(Abi.X86_64, nr), false),
        SeccompConstants.AUDIT_ARCH_I386 => (KindOf(Abi.I386, nr), true),
        _ => (SyscallKind.Other, false),
    };

    private static SyscallKind KindOf(Abi abi, uint nr) => SyscallTable.Find(abi, nr)?.Kind ?? SyscallKind.Other;

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
        SyscallKind.Connect => "connect",
        SyscallKind.SetTimes => "utimensat",
        SyscallKind.Other => "unknown",
        // Kinds of one syscall each (or of twins, such as umount2 and i386's umount): the table's name.
        _ => SyscallTable.All.FirstOrDefault(syscall => syscall.Kind == kind)?.Name ?? "unknown",
    };
}
