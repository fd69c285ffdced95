using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>File Block: the listed files and directories cannot be read, written or executed (per entry).</summary>
/// <param name="Enabled">On, with at least one entry.</param>
/// <param name="Fallback">Where the kernel lacks Landlock (or too old an ABI): refuse to start, or run in audit mode.</param>
/// <param name="Files">The entries: a path glob and the kinds of access blocked (read, write, exec; all by default).</param>
public sealed record FileBlockPolicy(bool Enabled, EnforcementMode Mode, FallbackMode Fallback, PolicyList<FileEntry> Files)
    : ControlPolicy(Enabled, Mode);

/// <summary>The File Block policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class FileBlockPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public FileBlockPolicy FileBlock => policy.Get<FileBlockPolicy>();
    }
}
