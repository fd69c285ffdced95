namespace MicroEnforcer.Injector.ImageControls;

/// <summary>One finding of one control: refused (Enforce) or warned about (Warn).</summary>
public sealed record Violation(string Control, ControlMode Mode, string Message)
{
    public override string ToString() => $"{Control}: {Message}";
}
