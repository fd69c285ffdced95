using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Fork guard: new processes are refused once the container holds <see cref="MaxProcesses"/>.</summary>
/// <param name="MaxProcesses">Processes (not threads) the container may hold at once, from 1 to <see cref="MaxProcessesLimit"/>.</param>
public sealed record ForkGuardPolicy(bool Enabled, EnforcementMode Mode, int MaxProcesses)
    : ControlPolicy(Enabled, Mode)
{
    /// <summary>The limit when the policy gives none.</summary>
    public const int DefaultMaxProcesses = 1024;

    /// <summary>The largest accepted limit: the kernel's own ceiling on PIDs (PID_MAX_LIMIT on 64-bit).</summary>
    public const int MaxProcessesLimit = 4_194_304;
}

/// <summary>The Fork Guard policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class ForkGuardPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public ForkGuardPolicy ForkGuard => policy.Get<ForkGuardPolicy>();
    }
}
