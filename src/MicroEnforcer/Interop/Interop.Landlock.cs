using System.Runtime.InteropServices;

namespace MicroEnforcer.Interop;

/// <summary>Landlock (Linux 5.13+): unprivileged, stackable restrictions a process puts on itself and its children.</summary>
internal static partial class Libc
{
    internal const long SYS_landlock_create_ruleset = 444;
    internal const long SYS_landlock_add_rule = 445;
    internal const uint LANDLOCK_CREATE_RULESET_VERSION = 1;
    internal const int LANDLOCK_RULE_PATH_BENEATH = 1;

    /// <summary>struct landlock_ruleset_attr as of ABI 1 (the kernel takes the size it is given).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct landlock_ruleset_attr
    {
        public ulong handled_access_fs;
    }

    /// <summary>struct landlock_path_beneath_attr: packed, 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct landlock_path_beneath_attr
    {
        public ulong allowed_access;
        public int parent_fd;
    }

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static unsafe partial int LandlockSyscall(long number, void* attr, nuint size, uint flags);

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    private static unsafe partial int LandlockAddRuleSyscall(long number, int ruleset, int ruleType, void* attr, uint flags);

    /// <summary>The kernel's Landlock ABI version: 0 when Landlock is absent or disabled (ENOSYS, EOPNOTSUPP).</summary>
    public static unsafe int LandlockAbi()
    {
        int version = LandlockSyscall(SYS_landlock_create_ruleset, null, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return version < 0 ? 0 : version;
    }

    /// <summary>A new ruleset handling <paramref name="handledAccess"/> (O_CLOEXEC), or -1 with errno.</summary>
    public static unsafe int LandlockCreateRuleset(ulong handledAccess)
    {
        landlock_ruleset_attr attr = new() { handled_access_fs = handledAccess };
        return LandlockSyscall(SYS_landlock_create_ruleset, &attr, (nuint)sizeof(landlock_ruleset_attr), 0);
    }

    /// <summary>Grants <paramref name="allowedAccess"/> beneath the file <paramref name="pathFd"/> (O_PATH) refers to. 0 or -1 with errno.</summary>
    public static unsafe int LandlockAddPathRule(int ruleset, int pathFd, ulong allowedAccess)
    {
        landlock_path_beneath_attr attr = new() { allowed_access = allowedAccess, parent_fd = pathFd };
        return LandlockAddRuleSyscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
    }
}
