namespace MicroEnforcer.Procfs;

/// <summary>
/// A process's five capability sets, from /proc/PID/status, each a mask by capability number; and
/// whether it runs under NO_NEW_PRIVS, which decides what an execve may add to them.
/// </summary>
internal readonly record struct CapabilitySets(ulong Effective, ulong Permitted, ulong Inheritable, ulong Bounding, ulong Ambient,
    bool NoNewPrivs = false)
{
    /// <summary>Every capability held in any set.</summary>
    public ulong Any => Effective | Permitted | Inheritable | Bounding | Ambient;

    /// <summary>The names of the sets that hold any of <paramref name="capabilities"/> ("bounding", "effective"...).</summary>
    public IEnumerable<string> Holding(ulong capabilities)
    {
        if ((Bounding & capabilities) != 0)
            yield return "bounding";
        if ((Effective & capabilities) != 0)
            yield return "effective";
        if ((Permitted & capabilities) != 0)
            yield return "permitted";
        if ((Inheritable & capabilities) != 0)
            yield return "inheritable";
        if ((Ambient & capabilities) != 0)
            yield return "ambient";
    }

    /// <summary>"NoNewPrivs 1, CapBnd 00000000a80425fb, ...": as /proc shows them.</summary>
    public override string ToString() =>
        $"NoNewPrivs {(NoNewPrivs ? 1 : 0)}, CapBnd {Bounding:x16}, CapEff {Effective:x16}, CapPrm {Permitted:x16}, CapInh {Inheritable:x16}, CapAmb {Ambient:x16}";
}
