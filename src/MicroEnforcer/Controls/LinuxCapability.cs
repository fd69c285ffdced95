using System.Collections.Immutable;

namespace MicroEnforcer.Controls;

/// <summary>
/// The kernel's capabilities by name and number (include/uapi/linux/capability.h, CAP_CHOWN = 0
/// to CAP_CHECKPOINT_RESTORE = 40), as a policy names them: with or without the CAP_ prefix, in
/// any case (as Docker's --cap-drop and Kubernetes' securityContext accept them), or ALL.
/// </summary>
internal static class LinuxCapability
{
    /// <summary>Index = the capability's number.</summary>
    public static ImmutableArray<string> Names { get; } =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// <summary>Every capability this table knows, as a mask.</summary>
    public static ulong All { get; } = (1UL << Names.Length) - 1;

    /// <summary>A policy's name for one capability (or ALL) as a mask; null with the mask, or why not.</summary>
    public static string? Parse(string text, out ulong mask)
    {
        mask = 0;
        string name = text.Trim().ToUpperInvariant();
        if (name == "ALL")
        {
            mask = All;
            return null;
        }
        if (name.StartsWith("CAP_", StringComparison.Ordinal))
            name = name[4..];
        int number = Names.IndexOf(name);
        if (number >= 0)
        {
            mask = 1UL << number;
            return null;
        }
        string? suggestion = Policy.FieldNameSuggester.Closest(name, Names);
        return suggestion is null
            ? $"unknown capability '{text}' (capability names as in capabilities(7), with or without CAP_, e.g. NET_RAW, SYS_ADMIN; or ALL)"
            : $"unknown capability '{text}'; did you mean '{suggestion}'?";
    }

    /// <summary>"NET_RAW, SYS_ADMIN": the names in <paramref name="mask"/>, by number.</summary>
    public static string Describe(ulong mask) =>
        mask == All ? "ALL" : string.Join(", ", Enumerable.Range(0, 64).Where(n => (mask & (1UL << n)) != 0).Select(Name));

    public static string Name(int number) => number < Names.Length ? Names[number] : $"capability {number}";
}
