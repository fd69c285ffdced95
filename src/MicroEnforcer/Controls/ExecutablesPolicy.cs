using System.Text;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>The policy of a control judged by a list of executables (Executables Allowed, Executables Blocked).</summary>
/// <param name="Executables">Absolute path globs and file names (<see cref="ExecutableEntry"/>).</param>
public abstract record ExecutablesPolicy(bool Enabled, EnforcementMode Mode, IReadOnlyList<ExecutableEntry> Executables)
    : ControlPolicy(Enabled, Mode)
{
    // Records compare lists by reference; comparing the entries lets a reloaded policy be
    // recognised as unchanged.
    public virtual bool Equals(ExecutablesPolicy? other) =>
        other is not null
        && other.GetType() == GetType()
        && Enabled == other.Enabled
        && Mode == other.Mode
        && Executables.SequenceEqual(other.Executables);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(GetType());
        hash.Add(Enabled);
        hash.Add(Mode);
        foreach (ExecutableEntry entry in Executables)
        {
            hash.Add(entry);
        }

        return hash.ToHashCode();
    }

    // Shows the entries rather than the list's type name when the policy is logged.
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, Executables = [{string.Join(", ", Executables)}]");
        return true;
    }
}
