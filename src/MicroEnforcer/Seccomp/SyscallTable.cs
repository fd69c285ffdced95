namespace MicroEnforcer.Seccomp;

/// <summary>One syscall the enforcer intercepts: its number under each ABI, and what it is.</summary>
/// <param name="Name">The x86-64 name, as audit events give it.</param>
/// <param name="Kind">What the notify loop makes of it.</param>
/// <param name="X86_64">Its x86-64 number, or null where x86-64 has none.</param>
/// <param name="X32">Its x32 number (with the x32 bit), or null where x32 has none.</param>
/// <param name="I386">Its i386 numbers (int 0x80, or a 32-bit binary): one, or two where i386 has a
/// second entry point to the same kernel function (fcntl64, utimensat_time64), or none.</param>
internal sealed record Syscall(string Name, SyscallKind Kind, uint? X86_64, uint? X32, params uint[] I386);

/// <summary>
/// The syscalls the enforcer intercepts, as data. An i386 process and an x32 process reach the
/// same kernel functions under other numbers, so a rule names a <see cref="Syscall"/>, and the
/// filter builder expands it to every entry point of every ABI (a filter that knew only the
/// x86-64 numbers could be walked around). The classifier reads the same table backwards.
/// </summary>
internal static class SyscallTable
{
    private const uint X32Bit = SeccompConstants.X32_SYSCALL_BIT;

    // x32 shares the x86-64 numbers ("common" in syscall_64.tbl) with the x32 bit set, except
    // the calls with x32-specific entries (execve, execveat, ptrace, process_vm_writev, kexec_load),
    // which are written out below.
    private static Syscall Common(string name, SyscallKind kind, uint x86_64, params uint[] i386) =>
        new(name, kind, x86_64, X32Bit | x86_64, i386);

    public static readonly Syscall Execve = new("execve", SyscallKind.Execve, 59, X32Bit | 520, 11);
    public static readonly Syscall Execveat = new("execveat", SyscallKind.Execveat, 322, X32Bit | 545, 358);
    public static readonly Syscall Fork = Common("fork", SyscallKind.Fork, 57, 2);
    public static readonly Syscall Vfork = Common("vfork", SyscallKind.Vfork, 58, 190);
    public static readonly Syscall Clone = Common("clone", SyscallKind.Clone, 56, 120);
    public static readonly Syscall Clone3 = Common("clone3", SyscallKind.Other, 435, 435);
    public static readonly Syscall Dup = Common("dup", SyscallKind.Dup, 32, 41);
    public static readonly Syscall Dup2 = Common("dup2", SyscallKind.Dup2, 33, 63);
    public static readonly Syscall Dup3 = Common("dup3", SyscallKind.Dup3, 292, 330);
    public static readonly Syscall Fcntl = Common("fcntl", SyscallKind.FcntlDupfd, 72, 55, 221);   // i386: fcntl, fcntl64
    public static readonly Syscall Connect = Common("connect", SyscallKind.Connect, 42, 362);

    /// <summary>i386's socketcall(call, args): one entry point for every socket call (x86-64 has none).</summary>
    public static readonly Syscall SocketCall = new("socketcall", SyscallKind.SocketCall, null, null, 102);

    // The network controls' calls: where a socket meets an address. i386 has direct entries since
    // Linux 4.3 besides socketcall; x32 has entries of its own for sendmsg and sendmmsg, whose
    // message headers are 32-bit (compat) ones.
    public static readonly Syscall Bind = Common("bind", SyscallKind.Bind, 49, 361);
    public static readonly Syscall Listen = Common("listen", SyscallKind.Listen, 50, 363);
    public static readonly Syscall SendTo = Common("sendto", SyscallKind.SendTo, 44, 369);
    public static readonly Syscall SendMsg = new("sendmsg", SyscallKind.SendMsg, 46, X32Bit | 518, 370);
    public static readonly Syscall SendMmsg = new("sendmmsg", SyscallKind.SendMmsg, 307, X32Bit | 538, 345);
    public static readonly Syscall Accept = Common("accept", SyscallKind.Accept, 43);   // i386: only accept4 and socketcall
    public static readonly Syscall Accept4 = Common("accept4", SyscallKind.Accept4, 288, 364);

    public static readonly Syscall Utime = Common("utime", SyscallKind.SetTimes, 132, 30);
    public static readonly Syscall Utimes = Common("utimes", SyscallKind.SetTimes, 235, 271);
    public static readonly Syscall Futimesat = Common("futimesat", SyscallKind.SetTimes, 261, 299);
    public static readonly Syscall Utimensat = Common("utimensat", SyscallKind.SetTimes, 280, 320, 412);   // i386: utimensat, utimensat_time64
    public static readonly Syscall IoUringSetup = Common("io_uring_setup", SyscallKind.Other, 425, 425);
    public static readonly Syscall IoUringEnter = Common("io_uring_enter", SyscallKind.Other, 426, 426);
    public static readonly Syscall IoUringRegister = Common("io_uring_register", SyscallKind.Other, 427, 427);

    // The clock, the host and domain names, the mounts, kernel modules, reboot, swap, process
    // accounting and kexec: every entry point, because a monitor that knew one would be walked
    // around through its twin (i386's stime and umount, the time64 entries, the new mount API).
    public static readonly Syscall SetTimeOfDay = Common("settimeofday", SyscallKind.SetTimeOfDay, 164, 79);
    public static readonly Syscall Stime = new("stime", SyscallKind.Stime, null, null, 25);
    public static readonly Syscall ClockSettime = Common("clock_settime", SyscallKind.ClockSettime, 227, 264);
    public static readonly Syscall ClockSettime64 = new("clock_settime64", SyscallKind.ClockSettime, null, null, 404);
    public static readonly Syscall Adjtimex = Common("adjtimex", SyscallKind.Adjtimex, 159, 124);
    public static readonly Syscall ClockAdjtime = Common("clock_adjtime", SyscallKind.ClockAdjtime, 305, 343);
    public static readonly Syscall ClockAdjtime64 = new("clock_adjtime64", SyscallKind.ClockAdjtime, null, null, 405);
    public static readonly Syscall SetHostName = Common("sethostname", SyscallKind.SetHostName, 170, 74);
    public static readonly Syscall SetDomainName = Common("setdomainname", SyscallKind.SetDomainName, 171, 121);
    public static readonly Syscall Mount = Common("mount", SyscallKind.Mount, 165, 21);
    public static readonly Syscall Umount2 = Common("umount2", SyscallKind.Umount, 166, 52);
    public static readonly Syscall OldUmount = new("umount", SyscallKind.Umount, null, null, 22);
    public static readonly Syscall PivotRoot = Common("pivot_root", SyscallKind.PivotRoot, 155, 217);
    public static readonly Syscall MoveMount = Common("move_mount", SyscallKind.MoveMount, 429, 429);
    public static readonly Syscall MountSetattr = Common("mount_setattr", SyscallKind.MountSetattr, 442, 442);
    public static readonly Syscall Fsconfig = Common("fsconfig", SyscallKind.Fsconfig, 431, 431);
    public static readonly Syscall InitModule = Common("init_module", SyscallKind.InitModule, 175, 128);
    public static readonly Syscall FinitModule = Common("finit_module", SyscallKind.FinitModule, 313, 350);
    public static readonly Syscall DeleteModule = Common("delete_module", SyscallKind.DeleteModule, 176, 129);
    public static readonly Syscall Reboot = Common("reboot", SyscallKind.Reboot, 169, 88);
    public static readonly Syscall SwapOn = Common("swapon", SyscallKind.SwapOn, 167, 87);
    public static readonly Syscall SwapOff = Common("swapoff", SyscallKind.SwapOff, 168, 115);
    public static readonly Syscall Acct = Common("acct", SyscallKind.Acct, 163, 51);
    public static readonly Syscall KexecLoad = new("kexec_load", SyscallKind.KexecLoad, 246, X32Bit | 528, 283);   // x32 has its own entry
    public static readonly Syscall KexecFileLoad = Common("kexec_file_load", SyscallKind.KexecFileLoad, 320);   // none on i386

    // One process writing into another: ptrace and process_vm_writev have x32 entries of their
    // own (their x86-64 numbers are 64-bit only), and the opens that may name /proc/PID/mem.
    public static readonly Syscall Ptrace = new("ptrace", SyscallKind.Ptrace, 101, X32Bit | 521, 26);
    public static readonly Syscall ProcessVmWritev = new("process_vm_writev", SyscallKind.ProcessVmWritev, 311, X32Bit | 540, 348);
    public static readonly Syscall Open = Common("open", SyscallKind.Open, 2, 5);
    public static readonly Syscall OpenAt = Common("openat", SyscallKind.OpenAt, 257, 295);
    public static readonly Syscall OpenAt2 = Common("openat2", SyscallKind.OpenAt2, 437, 437);
    public static readonly Syscall Creat = Common("creat", SyscallKind.Creat, 85, 8);

    // The calls that change a file or a directory entry (File Integrity Monitoring, Read-Only
    // Directories and Files, the reports of File Block): every entry point, i386's 16-bit chown
    // family and its truncate64 twins included, or a 32-bit program walks around them.
    public static readonly Syscall OpenByHandleAt = Common("open_by_handle_at", SyscallKind.OpenByHandleAt, 304, 342);
    public static readonly Syscall Truncate = Common("truncate", SyscallKind.Truncate, 76, 92, 193);   // i386: truncate, truncate64
    public static readonly Syscall Ftruncate = Common("ftruncate", SyscallKind.Ftruncate, 77, 93, 194);   // i386: ftruncate, ftruncate64
    public static readonly Syscall Unlink = Common("unlink", SyscallKind.Unlink, 87, 10);
    public static readonly Syscall UnlinkAt = Common("unlinkat", SyscallKind.UnlinkAt, 263, 301);
    public static readonly Syscall Rmdir = Common("rmdir", SyscallKind.Rmdir, 84, 40);
    public static readonly Syscall Rename = Common("rename", SyscallKind.Rename, 82, 38);
    public static readonly Syscall RenameAt = Common("renameat", SyscallKind.RenameAt, 264, 302);
    public static readonly Syscall RenameAt2 = Common("renameat2", SyscallKind.RenameAt2, 316, 353);
    public static readonly Syscall Link = Common("link", SyscallKind.Link, 86, 9);
    public static readonly Syscall LinkAt = Common("linkat", SyscallKind.LinkAt, 265, 303);
    public static readonly Syscall Symlink = Common("symlink", SyscallKind.Symlink, 88, 83);
    public static readonly Syscall SymlinkAt = Common("symlinkat", SyscallKind.SymlinkAt, 266, 304);
    public static readonly Syscall Mkdir = Common("mkdir", SyscallKind.Mkdir, 83, 39);
    public static readonly Syscall MkdirAt = Common("mkdirat", SyscallKind.MkdirAt, 258, 296);
    public static readonly Syscall Mknod = Common("mknod", SyscallKind.Mknod, 133, 14);
    public static readonly Syscall MknodAt = Common("mknodat", SyscallKind.MknodAt, 259, 297);
    public static readonly Syscall Chmod = Common("chmod", SyscallKind.Chmod, 90, 15);
    public static readonly Syscall Fchmod = Common("fchmod", SyscallKind.Fchmod, 91, 94);
    public static readonly Syscall FchmodAt = Common("fchmodat", SyscallKind.FchmodAt, 268, 306);
    public static readonly Syscall FchmodAt2 = Common("fchmodat2", SyscallKind.FchmodAt2, 452, 452);
    public static readonly Syscall Chown = Common("chown", SyscallKind.Chown, 92, 182, 212);   // i386: chown (16-bit ids), chown32
    public static readonly Syscall Lchown = Common("lchown", SyscallKind.Lchown, 94, 16, 198);   // i386: lchown (16-bit ids), lchown32
    public static readonly Syscall Fchown = Common("fchown", SyscallKind.Fchown, 93, 95, 207);   // i386: fchown (16-bit ids), fchown32
    public static readonly Syscall FchownAt = Common("fchownat", SyscallKind.FchownAt, 260, 298);
    public static readonly Syscall SetXattr = Common("setxattr", SyscallKind.SetXattr, 188, 226);
    public static readonly Syscall LsetXattr = Common("lsetxattr", SyscallKind.LsetXattr, 189, 227);
    public static readonly Syscall FsetXattr = Common("fsetxattr", SyscallKind.FsetXattr, 190, 228);
    public static readonly Syscall SetXattrAt = Common("setxattrat", SyscallKind.SetXattrAt, 463, 463);
    public static readonly Syscall RemoveXattr = Common("removexattr", SyscallKind.RemoveXattr, 197, 235);
    public static readonly Syscall LremoveXattr = Common("lremovexattr", SyscallKind.LremoveXattr, 198, 236);
    public static readonly Syscall FremoveXattr = Common("fremovexattr", SyscallKind.FremoveXattr, 199, 237);
    public static readonly Syscall RemoveXattrAt = Common("removexattrat", SyscallKind.RemoveXattrAt, 466, 466);

    public static readonly IReadOnlyList<Syscall> All =
    [
        Execve, Execveat, Fork, Vfork, Clone, Clone3, Dup, Dup2, Dup3, Fcntl, Connect, SocketCall,
        Bind, Listen, SendTo, SendMsg, SendMmsg, Accept, Accept4,
        Utime, Utimes, Futimesat, Utimensat, IoUringSetup, IoUringEnter, IoUringRegister,
        SetTimeOfDay, Stime, ClockSettime, ClockSettime64, Adjtimex, ClockAdjtime, ClockAdjtime64, SetHostName, SetDomainName,
        Mount, Umount2, OldUmount, PivotRoot, MoveMount, MountSetattr, Fsconfig, InitModule, FinitModule, DeleteModule,
        Reboot, SwapOn, SwapOff, Acct, KexecLoad, KexecFileLoad,
        Ptrace, ProcessVmWritev, Open, OpenAt, OpenAt2, Creat,
        OpenByHandleAt, Truncate, Ftruncate, Unlink, UnlinkAt, Rmdir, Rename, RenameAt, RenameAt2, Link, LinkAt, Symlink, SymlinkAt,
        Mkdir, MkdirAt, Mknod, MknodAt, Chmod, Fchmod, FchmodAt, FchmodAt2, Chown, Lchown, Fchown, FchownAt,
        SetXattr, LsetXattr, FsetXattr, SetXattrAt, RemoveXattr, LremoveXattr, FremoveXattr, RemoveXattrAt,
    ];

    private static readonly Dictionary<(Abi, uint), Syscall> s_byNumber = All
        .SelectMany(syscall => syscall.Numbers(Abi.X86_64).Select(nr => ((Abi.X86_64, nr), syscall))
            .Concat(syscall.Numbers(Abi.X32).Select(nr => ((Abi.X32, nr), syscall)))
            .Concat(syscall.Numbers(Abi.I386).Select(nr => ((Abi.I386, nr), syscall))))
        .ToDictionary(entry => entry.Item1, entry => entry.syscall);   // read-only after this

    /// <summary>The intercepted syscall with number <paramref name="nr"/> under <paramref name="abi"/>, or null.</summary>
    public static Syscall? Find(Abi abi, uint nr) => s_byNumber.GetValueOrDefault((abi, nr));

    /// <summary>The intercepted syscall a notification names (arch and nr as seccomp gives them), or null.</summary>
    public static Syscall? Find(uint arch, uint nr) => arch switch
    {
        SeccompConstants.AUDIT_ARCH_X86_64 => Find(nr >= X32Bit ? Abi.X32 : Abi.X86_64, nr),
        SeccompConstants.AUDIT_ARCH_I386 => Find(Abi.I386, nr),
        _ => null,
    };
}

/// <summary>The system call ABIs of an x86-64 kernel.</summary>
internal enum Abi
{
    X86_64,
    X32,
    I386,
}

/// <summary>A syscall's numbers under one ABI.</summary>
internal static class SyscallNumbers
{
    public static IEnumerable<uint> Numbers(this Syscall syscall, Abi abi) => abi switch
    {
        Abi.X86_64 => syscall.X86_64 is uint x86_64 ? [x86_64] : [],
        Abi.X32 => syscall.X32 is uint x32 ? [x32] : [],
        _ => syscall.I386,
    };
}
