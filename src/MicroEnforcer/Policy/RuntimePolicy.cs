using System.Text;

namespace MicroEnforcer.Policy;

/// <summary>What a control does when it sees a violation.</summary>
public enum EnforcementMode
{
    /// <summary>Block the violating action.</summary>
    Enforce,

    /// <summary>Let the action happen but report it; used to trial a policy before enforcing it.</summary>
    Audit,
}

/// <summary>A validated runtime policy. Build one with <see cref="PolicyLoader"/> or <see cref="DefaultPolicy"/>.</summary>
public sealed record RuntimePolicy(string Name, EnforcementMode Mode, DriftPreventionPolicy DriftPrevention);

/// <summary>Drift prevention: executables that were not in the container image may not run.</summary>
/// <param name="Enabled">Whether the control is active at all.</param>
/// <param name="Mode">The control's own mode; inherits <c>spec.mode</c> unless the policy overrides it.</param>
/// <param name="AllowedExecutables">Paths that may run even though they drifted.</param>
public sealed record DriftPreventionPolicy(bool Enabled, EnforcementMode Mode, IReadOnlyList<ExecutableGlob> AllowedExecutables)
{
    // Records compare lists by reference; comparing the patterns lets a reloaded policy be
    // recognised as unchanged.
    public bool Equals(DriftPreventionPolicy? other) =>
        other is not null
        && Enabled == other.Enabled
        && Mode == other.Mode
        && AllowedExecutables.SequenceEqual(other.AllowedExecutables);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Enabled);
        hash.Add(Mode);
        foreach (ExecutableGlob glob in AllowedExecutables)
        {
            hash.Add(glob);
        }

        return hash.ToHashCode();
    }

    // Shows the patterns rather than the list's type name when the policy is logged.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, AllowedExecutables = [{string.Join(", ", AllowedExecutables)}]");
        return true;
    }
}
