using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// The Landlock rule set of a launch plan, made once at start from its file restrictions (see
/// <see cref="FileRulePlanner"/>) and kept open: the launch shim restricts the workload with it
/// before its execve, and every exec session is restricted with the same one (sent with the
/// filter, or injected). Rules name inodes opened now: a path renamed or replaced later keeps the
/// rights its inode was given, and what replaces it gets its new place's rights.
/// </summary>
internal sealed class LandlockRuleset : IDisposable
{
    private LandlockRuleset(int fd, int rules, FileRights handled, IReadOnlyList<(string Directory, FileRights Missing)> limited)
    {
        Fd = fd;
        Rules = rules;
        Handled = handled;
        LimitedNewEntries = limited;
    }

    /// <summary>Where entries created after start get fewer rights (see <see cref="FileRulePlanner.LimitedNewEntries"/>).</summary>
    public IReadOnlyList<(string Directory, FileRights Missing)> LimitedNewEntries { get; }

    /// <summary>The rule set's descriptor (O_CLOEXEC).</summary>
    public int Fd { get; private set; }

    public int Rules { get; }

    public FileRights Handled { get; }

    /// <summary>
    /// The kernel's Landlock ABI version, read once: 0 without Landlock (not built in, not in the
    /// boot's lsm= list, or a seccomp profile that refuses it).
    /// </summary>
    public static int Abi { get; } = Libc.LandlockAbi();

    /// <summary>The first ABI that knows all of <paramref name="rights"/>.</summary>
    public static int AbiFor(FileRights rights) =>
        (rights & FileRights.Truncate) != 0 ? 3 : (rights & FileRights.Refer) != 0 ? 2 : 1;

    /// <summary>
    /// Why <paramref name="control"/> cannot take away <paramref name="denied"/> on this kernel,
    /// or null when it can. Refer is always needed (every rule set handles it, or cross-directory
    /// renames would fail everywhere); Truncate when writes are denied (truncate(2) is no open).
    /// </summary>
    public static string? Unsupported(string control, FileRights denied)
    {
        FileRights needed = denied | FileRights.Refer;
        if ((denied & FileRights.WriteFile) != 0)
            needed |= FileRights.Truncate;
        int abi = AbiFor(needed);
        if (Abi >= abi)
            return null;
        string have = Abi == 0 ? "this kernel has no Landlock (Linux 5.13+, enabled in the kernel's lsm= list, and allowed by the container's seccomp profile)"
            : $"this kernel's Landlock is ABI {Abi}";
        string version = abi == 3 ? "Linux 6.2" : "Linux 5.19";
        return $"{control} needs Landlock ABI {abi} ({version}) to enforce, and {have}. Set the control's 'fallback: audit' to run it in audit mode instead";
    }

    /// <summary>The rule set for the plan's restrictions; null with <paramref name="error"/> when it cannot be made.</summary>
    public static LandlockRuleset? Build(LaunchPlan plan, IEnumerable<string> marks, out string? error)
    {
        var planner = new FileRulePlanner(plan.FileRestrictions, plan.FileExceptions, marks);
        IReadOnlyList<(string Path, FileRights Rights)> rules = planner.Plan();
        int fd = Libc.LandlockCreateRuleset((ulong)planner.Handled);
        if (fd < 0)
        {
            error = $"landlock_create_ruleset: {Libc.DescribeErrno(Libc.LastErrno)}";
            return null;
        }
        foreach ((string path, FileRights rights) in rules)
        {
            int target = NativePath.Open(path, Libc.O_PATH | Libc.O_CLOEXEC | Libc.O_NOFOLLOW);
            if (target < 0)
                continue;   // gone since it was listed: it gets what a new entry gets
            int added = Libc.LandlockAddPathRule(fd, target, (ulong)rights);
            int errno = Libc.LastErrno;
            Libc.Close(target);
            if (added != 0)
            {
                Libc.Close(fd);
                error = $"landlock_add_rule on {path}: {Libc.DescribeErrno(errno)}";
                return null;
            }
        }
        error = null;
        return new LandlockRuleset(fd, rules.Count, planner.Handled, [.. planner.LimitedNewEntries]);
    }

    public void Dispose()
    {
        if (Fd >= 0)
            Libc.Close(Fd);
        Fd = -1;
    }
}
