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
    /// <summary>i386 socketcall(call, args): which socket call is the first argument; its arguments are in memory.</summary>
    SocketCall,
    /// <summary>bind(fd, addr, len).</summary>
    Bind,
    /// <summary>listen(fd, backlog).</summary>
    Listen,
    /// <summary>sendto(fd, buf, len, flags, addr, addrlen): send() is sendto with no address on x86-64.</summary>
    SendTo,
    /// <summary>sendmsg(fd, msghdr, flags): the address and the data are in memory.</summary>
    SendMsg,
    /// <summary>sendmmsg(fd, mmsghdr[], vlen, flags).</summary>
    SendMmsg,
    /// <summary>accept(fd, addr, addrlen).</summary>
    Accept,
    /// <summary>accept4(fd, addr, addrlen, flags).</summary>
    Accept4,
    /// <summary>utime, utimes, futimesat, utimensat (and i386's utimensat_time64): can set an mtime back.</summary>
    SetTimes,

    // System Integrity Monitoring: rare calls that change the machine (reported, never decided).
    /// <summary>settimeofday (and the timezone).</summary>
    SetTimeOfDay,
    /// <summary>i386's stime(time_t *): the clock, in whole seconds.</summary>
    Stime,
    /// <summary>clock_settime; i386's clock_settime64 takes a 64-bit timespec.</summary>
    ClockSettime,
    /// <summary>adjtimex(struct timex *): a change only when timex.modes asks one (modes are in memory).</summary>
    Adjtimex,
    /// <summary>clock_adjtime(clock, struct timex *) and i386's clock_adjtime64: as adjtimex, for one clock.</summary>
    ClockAdjtime,
    SetHostName,
    SetDomainName,
    Mount,
    /// <summary>umount2, and i386's umount (no flags).</summary>
    Umount,
    PivotRoot,
    /// <summary>move_mount: attaches a mount made with the new mount API (fsmount, open_tree).</summary>
    MoveMount,
    /// <summary>mount_setattr: changes an existing mount's attributes (read-only, nosuid...).</summary>
    MountSetattr,
    /// <summary>fsconfig: notified only for FSCONFIG_CMD_RECONFIGURE, the new API's remount of a superblock picked with fspick.</summary>
    Fsconfig,
    InitModule,
    FinitModule,
    DeleteModule,
    Reboot,
    SwapOn,
    SwapOff,
    Acct,
    KexecLoad,
    KexecFileLoad,

    // Block Ptrace: the ways one process writes into another.
    /// <summary>ptrace: notified only for PTRACE_ATTACH, PTRACE_SEIZE and PTRACE_TRACEME, the only ways to become a tracer.</summary>
    Ptrace,
    ProcessVmWritev,
    /// <summary>open(path, flags).</summary>
    Open,
    /// <summary>openat(dirfd, path, flags).</summary>
    OpenAt,
    /// <summary>openat2(dirfd, path, how, size): its flags are in memory, out of the filter's reach.</summary>
    OpenAt2,
    /// <summary>creat(path, mode): open(O_CREAT|O_WRONLY|O_TRUNC).</summary>
    Creat,

    // Calls that change a file or a directory entry (one kind per entry-point shape: where the
    // dirfd, the paths and the flags are differs between them).
    /// <summary>open_by_handle_at(mountfd, handle, flags): needs CAP_DAC_READ_SEARCH, names no path.</summary>
    OpenByHandleAt,
    /// <summary>truncate(path, length), and i386's truncate64.</summary>
    Truncate,
    /// <summary>ftruncate(fd, length), and i386's ftruncate64.</summary>
    Ftruncate,
    Unlink,
    /// <summary>unlinkat(dirfd, path, flags): AT_REMOVEDIR makes it rmdir.</summary>
    UnlinkAt,
    Rmdir,
    Rename,
    RenameAt,
    /// <summary>renameat2(olddirfd, old, newdirfd, new, flags): RENAME_EXCHANGE changes both.</summary>
    RenameAt2,
    Link,
    /// <summary>linkat(olddirfd, old, newdirfd, new, flags): AT_EMPTY_PATH links an open file.</summary>
    LinkAt,
    /// <summary>symlink(target, path): the target is text, only the new path is changed.</summary>
    Symlink,
    SymlinkAt,
    Mkdir,
    MkdirAt,
    Mknod,
    MknodAt,
    Chmod,
    Fchmod,
    /// <summary>fchmodat(dirfd, path, mode): no flags argument in the kernel's entry.</summary>
    FchmodAt,
    /// <summary>fchmodat2(dirfd, path, mode, flags): AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH.</summary>
    FchmodAt2,
    /// <summary>chown(path, uid, gid), and i386's 16-bit chown and chown32: follows a final symlink.</summary>
    Chown,
    /// <summary>lchown: does not follow a final symlink.</summary>
    Lchown,
    Fchown,
    FchownAt,
    SetXattr,
    LsetXattr,
    FsetXattr,
    /// <summary>setxattrat(dirfd, path, at_flags, name, args, size).</summary>
    SetXattrAt,
    RemoveXattr,
    LremoveXattr,
    FremoveXattr,
    /// <summary>removexattrat(dirfd, path, at_flags, name).</summary>
    RemoveXattrAt,
}
