using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Read-Only Directories and Files: the listed paths (and everything under a listed directory)
/// can be read and executed but not changed; <see cref="Exceptions"/> carves writable sub-paths
/// out of them. Off by default.
/// </summary>
/// <param name="Fallback">What to do where the kernel lacks the mechanism (Landlock) in enforce mode.</param>
/// <param name="Paths">The read-only path globs.</param>
/// <param name="Exceptions">The path globs that stay writable under them.</param>
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
