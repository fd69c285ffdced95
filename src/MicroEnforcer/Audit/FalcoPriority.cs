namespace MicroEnforcer.Audit;

/// <summary>Falco's priorities, most urgent first; the names are how Falco spells them in its JSON output.</summary>
internal enum FalcoPriority
{
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}
