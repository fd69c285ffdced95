namespace MicroEnforcer.Policy;

/// <summary>The policy file's spelling of a mode, which audit events and logs use too.</summary>
internal static class EnforcementModeText
{
    public static string ToPolicyText(this EnforcementMode mode) => mode == EnforcementMode.Enforce ? "enforce" : "audit";
}
