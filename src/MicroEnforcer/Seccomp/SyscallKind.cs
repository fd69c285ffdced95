namespace MicroEnforcer.Seccomp;

/// <summary>What a notified syscall is, whatever its ABI and number.</summary>
internal enum SyscallKind
{
    Other,
    Execve,
    Execveat,
    Fork,
    Vfork,
    Clone,
    Dup,
    Dup2,
    Dup3,
    FcntlDupfd,
    Connect,
    /// <summary>i386 socketcall(SYS_CONNECT, args): the arguments are in memory.</summary>
    SocketCallConnect,
    /// <summary>utime, utimes, futimesat, utimensat (and i386's utimensat_time64): can set an mtime back.</summary>
    SetTimes,
}
