using MicroEnforcer.Network;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>
/// Block Cryptocurrency Mining: a lookup of a mining pool's domain fails (through the shared
/// <see cref="DnsInterception"/>, as reputation's lookups), and a known miner program is refused
/// at its exec, by file name or invoked name (<see cref="ExecutableMatcher"/>, as Executables
/// Blocked matches names). A miner renamed and copied in after start is drift; one renamed in the
/// image is what a file name cannot catch.
/// </summary>
internal sealed class CryptoMining : INetworkControl, IExecControl
{
    public const string ControlName = "cryptoMining";

    private readonly CryptoMiningPolicy _policy;
    private readonly DnsInterception _dns;
    private readonly DomainSet _domains;
    private readonly PolicyList<ExecutableEntry> _executables;

    public CryptoMining(CryptoMiningPolicy policy, DnsInterception dns)
    {
        _policy = policy;
        _dns = dns;
        _domains = DomainSet.From([.. MinerLists.Domains, .. policy.Domains]);
        _executables = ExecutablesOf(policy);
        dns.Register(ControlName, policy.Mode, _domains, ReputationPolicy.DefaultDnsPorts);
    }

    public string Name => ControlName;

    public EnforcementMode Mode => _policy.Mode;

    public bool UsesApplet => true;

    /// <summary>Falco's miner program names, and the policy's own.</summary>
    public static PolicyList<ExecutableEntry> ExecutablesOf(CryptoMiningPolicy policy) =>
        [.. MinerLists.Executables.Select(name => ExecutableEntry.TryParse(name, out ExecutableEntry? entry, out _) ? entry : null).OfType<ExecutableEntry>(),
         .. policy.Executables];

    public ControlFinding? Evaluate(ExecTarget target) => JudgeExecutable(_executables, target);

    public static ControlFinding? JudgeExecutable(PolicyList<ExecutableEntry> executables, ExecTarget target)
    {
        if (target.Role == ExecRole.ElfInterpreter || ExecutableMatcher.Find(executables, target, byInvokedName: true) is not { } entry)
            return null;
        return new ControlFinding(ControlName, $"it matches the miner program '{entry.Text}' (spec.cryptoMining: built-in list and executables)");
    }

    public SyscallVerdict Judge(NetworkCall call)
    {
        if (call.Operation is not (NetworkOperation.Connect or NetworkOperation.Send))
            return SyscallVerdict.Continue;
        return _dns.JudgeLookup(ControlName, call, _domains, "a mining pool");
    }

    public void Completed(NetworkCall call, long result)
    {
    }
}
