using System.Collections.Immutable;
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
/// <param name="Name">The policy's label from <c>metadata.name</c>, shown in logs and audit events.</param>
/// <param name="Mode">The default mode of every control, <c>spec.mode</c>.</param>
/// <param name="Controls">Every control's policy, one per section the policy was read with, in that order.</param>
public sealed record RuntimePolicy(string Name, EnforcementMode Mode, ImmutableArray<ControlPolicy> Controls)
{
    /// <summary>
    /// Whether the workload may use io_uring (<c>spec.allowIoUring</c>). Off by default: operations
    /// submitted through io_uring never pass through seccomp, so they would go around every control
    /// that acts on a syscall. When off, io_uring_setup, io_uring_enter and io_uring_register fail
    /// with ENOSYS, as under Docker's default seccomp profile.
    /// </summary>
    public bool AllowIoUring { get; init; }

    /// <summary>
    /// Where audit events go (<c>spec.audit</c>): stderr unless the policy names its sinks. The
    /// sinks are set up at start; a reload that changes them waits for a restart.
    /// </summary>
    public AuditPolicy Audit { get; init; } = AuditPolicy.Default;

    /// <summary>The policy of the control whose record is <typeparamref name="T"/>.</summary>
    public T Get<T>() where T : ControlPolicy
    {
        foreach (ControlPolicy control in Controls)
        {
            if (control is T found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"the policy has no {typeof(T).Name}: it was read without that control's section");
    }

    /// <summary>A copy with <paramref name="control"/> in place of the control policy of its type.</summary>
    public RuntimePolicy With(ControlPolicy control)
    {
        ArgumentNullException.ThrowIfNull(control);
        int index = Controls.IndexOf(Controls.FirstOrDefault(c => c.GetType() == control.GetType())!);
        if (index < 0)
        {
            throw new ArgumentException($"the policy has no {control.GetType().Name}", nameof(control));
        }

        return this with { Controls = Controls.SetItem(index, control) };
    }

    // Records compare arrays by reference; comparing the controls lets a reloaded policy be
    // recognised as unchanged.
    public bool Equals(RuntimePolicy? other) =>
        other is not null && Name == other.Name && Mode == other.Mode && AllowIoUring == other.AllowIoUring
        && Audit.Equals(other.Audit) && Controls.SequenceEqual(other.Controls);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Mode);
        hash.Add(AllowIoUring);
        hash.Add(Audit);
        foreach (ControlPolicy control in Controls)
        {
            hash.Add(control);
        }

        return hash.ToHashCode();
    }

    // Shows each control's policy rather than the array's type name when the policy is logged.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Mode = {Mode}, AllowIoUring = {AllowIoUring}, Audit = {Audit}, Controls = [{string.Join(", ", Controls)}]");
        return true;
    }
}
