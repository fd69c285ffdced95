using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Block Cryptocurrency Mining: lookups of mining pools' domains fail and known miner programs
/// may not run. The built-in lists are Falco's (Network/FalcoMinerLists: miner_domains,
/// https_miner_domains, http_miner_domains, miner_binaries); <c>domains</c> and <c>executables</c>
/// add to them. Falco's miner ports are not blocked: they include 25, 8080 and 8000. Off by default.
/// </summary>
public sealed record CryptoMiningPolicy(bool Enabled, EnforcementMode Mode, PolicyList<DomainName> Domains, PolicyList<ExecutableEntry> Executables)
    : ControlPolicy(Enabled, Mode);

/// <summary>The crypto-mining policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class CryptoMiningPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public CryptoMiningPolicy CryptoMining => policy.Get<CryptoMiningPolicy>();
    }
}
