using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>The crypto-mining section (<c>spec.cryptoMining</c>) and syscalls; see <see cref="CryptoMining"/>.</summary>
internal sealed class CryptoMiningControl : ControlDefinition<CryptoMiningPolicy>
{
    public override string Name => "cryptoMining";

    public override string Title => "block cryptocurrency mining";

    public override string AuditName => CryptoMining.ControlName;

    protected override CryptoMiningPolicy Read(SectionReader section)
    {
        (bool enabled, EnforcementMode mode) = section.Switches(enabledByDefault: false);
        return new CryptoMiningPolicy(enabled, mode, section.Domains("domains"), section.Executables("executables"));
    }

    protected override string DescribePolicy(CryptoMiningPolicy policy) =>
        $"built-in lists and {policy.Domains.Count} more domain(s), {policy.Executables.Count} more executable(s)";

    // Execs (miner programs), and every send, as reputation's: lookups are read where they are sent.
    protected override IEnumerable<FilterRule> RulesFor(CryptoMiningPolicy policy) =>
        [.. ExecRules, .. NetworkGate.Rules(listens: false, sendsWithoutAddress: true)];

    protected override IControl CreateFor(CryptoMiningPolicy policy, ControlServices services) => new CryptoMining(policy, services.Dns);

    // A miner as the entrypoint would be refused at its own exec: say so before anything is spawned.
    protected override ControlFinding? CheckEntrypointFor(CryptoMiningPolicy policy, ExecTarget entrypoint) =>
        CryptoMining.JudgeExecutable(CryptoMining.ExecutablesOf(policy), entrypoint);
}
