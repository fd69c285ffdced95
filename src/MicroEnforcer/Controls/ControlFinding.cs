namespace MicroEnforcer.Controls;

/// <summary>A control's objection, with the reason written to the audit event.</summary>
internal sealed record ControlFinding(string Control, string Reason)
{
    /// <summary>For network findings: the remote end, "address:port".</summary>
    public string? Remote { get; init; }
}
