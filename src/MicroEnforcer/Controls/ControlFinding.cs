namespace MicroEnforcer.Controls;

/// <summary>A control's objection to an exec, with the reason written to the audit event.</summary>
internal sealed record ControlFinding(string Control, string Reason);
