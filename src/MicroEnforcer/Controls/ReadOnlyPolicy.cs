using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Read-Only Directories and Files: the listed paths can be read and executed, not changed.</summary>
/// <param name="Enabled">On, with at least one path.</param>
/// <param name="Fallback">Where the kernel lacks Landlock (or too old an ABI): refuse to start, or run in audit mode.</param>
/// <param name="Paths">Path globs; a directory with everything beneath it.</param>
/// <param name="Exceptions">Paths beneath them that stay writable.</param>
public sealed record ReadOnlyPolicy(bool Enabled, EnforcementMode Mode, FallbackMode Fallback, PolicyList<PathGlob> Paths, PolicyList<PathGlob> Exceptions)
    : ControlPolicy(Enabled, Mode);

/// <summary>The Read-Only policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ReadOnlyPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ReadOnlyPolicy ReadOnly => policy.Get<ReadOnlyPolicy>();
    }
}
