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
    // execve and execveat, which have x32-specific entries.
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
    public static readonly Syscall SocketCall = new("socketcall", SyscallKind.SocketCallConnect, null, null, 102);

    public static readonly Syscall Utime = Common("utime", SyscallKind.SetTimes, 132, 30);
    public static readonly Syscall Utimes = Common("utimes", SyscallKind.SetTimes, 235, 271);
    public static readonly Syscall Futimesat = Common("futimesat", SyscallKind.SetTimes, 261, 299);
    public static readonly Syscall Utimensat = Common("utimensat", SyscallKind.SetTimes, 280, 320, 412);   // i386: utimensat, utimensat_time64
    public static readonly Syscall IoUringSetup = Common("io_uring_setup", SyscallKind.Other, 425, 425);
    public static readonly Syscall IoUringEnter = Common("io_uring_enter", SyscallKind.Other, 426, 426);
    public static readonly Syscall IoUringRegister = Common("io_uring_register", SyscallKind.Other, 427, 427);

    public static readonly IReadOnlyList<Syscall> All =
    [
        Execve, Execveat, Fork, Vfork, Clone, Clone3, Dup, Dup2, Dup3, Fcntl, Connect, SocketCall,
        Utime, Utimes, Futimesat, Utimensat, IoUringSetup, IoUringEnter, IoUringRegister,
    ];

    private static readonly Dictionary<(Abi, uint), Syscall> s_byNumber = All
        .SelectMany(syscall => syscall.Numbers(Abi.X86_64).Select(nr => ((Abi.X86_64, nr), syscall))
            .Concat(syscall.Numbers(Abi.X32).Select(nr => ((Abi.X32, nr), syscall)))
            .Concat(syscall.Numbers(Abi.I386).Select(nr => ((Abi.I386, nr), syscall))))
        .ToDictionary(entry => entry.Item1, entry => entry.syscall);   // read-only after this

    /// <summary>The intercepted syscall with number <paramref name="nr"/> under <paramref name="abi"/>, or null.</summary>
    public static Syscall? Find(Abi abi, uint nr) => s_byNumber.GetValueOrDefault((abi, nr));
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
