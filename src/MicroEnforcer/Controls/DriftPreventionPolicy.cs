using System.Text;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Drift prevention: executables that were not in the container image may not run.</summary>
/// <param name="AllowedExecutables">Paths that may run even though they drifted.</param>
public sealed record DriftPreventionPolicy(bool Enabled, EnforcementMode Mode, IReadOnlyList<ExecutableGlob> AllowedExecutables)
    : ControlPolicy(Enabled, Mode)
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
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, AllowedExecutables = [{string.Join(", ", AllowedExecutables)}]");
        return true;
    }
}

/// <summary>The drift prevention policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class DriftPreventionPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public DriftPreventionPolicy DriftPrevention => policy.Get<DriftPreventionPolicy>();
    }
}
