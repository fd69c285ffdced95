namespace MicroEnforcer.Controls;

/// <summary>
/// What the launch shim does to every process launched under enforcement (the workload, and each
/// exec session as it joins or is injected) before that process runs anything of its own, besides
/// NO_NEW_PRIVS and the filter: made once at start from the <see cref="ILaunchControl"/>s.
/// </summary>
internal sealed class LaunchPlan
{
    /// <summary>
    /// Capabilities taken from all five sets (bounding, ambient, inheritable, permitted,
    /// effective), a mask by number. A process that cannot lose one of them is not launched.
    /// CAP_SYS_PTRACE is dropped from every launched process besides, as far as it can be.
    /// </summary>
    public ulong DropCapabilities { get; private set; }

    public void Drop(ulong capabilities) => DropCapabilities |= capabilities;

    private readonly List<FileRestriction> _restrictions = [];
    private readonly List<FileException> _exceptions = [];

    /// <summary>Rights the launched process loses on paths (Landlock), by control.</summary>
    public IReadOnlyList<FileRestriction> FileRestrictions => _restrictions;

    /// <summary>Rights given back beneath a control's own restrictions.</summary>
    public IReadOnlyList<FileException> FileExceptions => _exceptions;

    public void Restrict(FileRestriction restriction) => _restrictions.Add(restriction);

    public void Except(FileException exception) => _exceptions.Add(exception);

    private readonly List<string> _marks = [];

    /// <summary>A directory where a restricted path may appear later (a wildcard's): no blanket grant on it.</summary>
    public void Mark(string directory) => _marks.Add(directory);

    /// <summary>The Landlock rule set made from the restrictions by <see cref="Seal"/>, or null when there are none.</summary>
    public LandlockRuleset? FileRuleset { get; private set; }

    /// <summary>The rule set's descriptor for the shim and the session protocol, or -1.</summary>
    public int FileRulesetFd => FileRuleset?.Fd ?? -1;

    /// <summary>After every control prepared: makes the rule set. Returns why it cannot be made, or null.</summary>
    public string? Seal()
    {
        if (_restrictions.Count == 0 || FileRuleset is not null)
            return null;
        FileRuleset = LandlockRuleset.Build(this, _marks, out string? error);
        return error is null ? null : $"the file restrictions ({string.Join(", ", _restrictions.Select(r => r.Control).Distinct())}) cannot be made into a Landlock rule set: {error}";
    }
}
