using System.Text;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Controls;

/// <summary>Block container exec: exec sessions (kubectl, docker, podman exec; `microenforcer exec`) are refused.</summary>
/// <param name="AllowedCommands">
/// The programs a session the runtime starts may run as its first program (canonical paths): what
/// Kubernetes exec probes run, for instance. `microenforcer exec` joins are refused regardless.
/// </param>
public sealed record BlockContainerExecPolicy(bool Enabled, EnforcementMode Mode, IReadOnlyList<PathGlob> AllowedCommands)
    : ControlPolicy(Enabled, Mode)
{
    // Records compare lists by reference; comparing the patterns lets a reloaded policy be
    // recognised as unchanged.
    public bool Equals(BlockContainerExecPolicy? other) =>
        other is not null && Enabled == other.Enabled && Mode == other.Mode && AllowedCommands.SequenceEqual(other.AllowedCommands);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Enabled);
        hash.Add(Mode);
        foreach (PathGlob glob in AllowedCommands)
            hash.Add(glob);
        return hash.ToHashCode();
    }

    // Shows the patterns rather than the list's type name when the policy is logged.
    protected override bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Enabled = {Enabled}, Mode = {Mode}, AllowedCommands = [{string.Join(", ", AllowedCommands)}]");
        return true;
    }
}

/// <summary>The block-container-exec policy of a <see cref="RuntimePolicy"/>, by name.</summary>
public static class BlockContainerExecPolicyAccess
{
    extension(RuntimePolicy policy)
    {
        public BlockContainerExecPolicy BlockContainerExec => policy.Get<BlockContainerExecPolicy>();
    }
}
