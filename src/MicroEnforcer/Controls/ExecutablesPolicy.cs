using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>The policy of a control judged by a list of executables (Executables Allowed, Executables Blocked).</summary>
/// <param name="Executables">Absolute path globs and file names (<see cref="ExecutableEntry"/>).</param>
public abstract record ExecutablesPolicy(bool Enabled, EnforcementMode Mode, PolicyList<ExecutableEntry> Executables)
    : ControlPolicy(Enabled, Mode);
