using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// File Integrity Monitoring: every change to a watched path is reported, with the SHA-256 of the
/// file before and after. Audit only: its mode is always audit.
/// </summary>
/// <param name="Paths">The watched path globs; a glob naming a directory covers everything beneath it. Never empty: the defaults when the policy lists none.</param>
/// <param name="MaxHashBytes">Regular files up to this size are hashed; 0: none.</param>
public sealed record FileIntegrityPolicy(bool Enabled, PolicyList<PathGlob> Paths, int MaxHashBytes)
    : ControlPolicy(Enabled, EnforcementMode.Audit);

/// <summary>The File Integrity Monitoring policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class FileIntegrityPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public FileIntegrityPolicy FileIntegrityMonitoring => policy.Get<FileIntegrityPolicy>();
    }
}
