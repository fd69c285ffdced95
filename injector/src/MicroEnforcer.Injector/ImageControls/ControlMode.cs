namespace MicroEnforcer.Injector.ImageControls;

/// <summary>How a control acts on what it finds: nothing, a warning (the dry run), or a refusal.</summary>
public enum ControlMode
{
    Off,
    Warn,
    Enforce,
}
