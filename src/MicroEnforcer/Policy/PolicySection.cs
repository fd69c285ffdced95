namespace MicroEnforcer.Policy;

/// <summary>
/// One control's section of <c>spec</c>: its field name, how its fields are read and checked, and
/// how it is summed up in the start-up log and by <c>policy validate</c>. The binder asks every
/// section it is given, in order, and refuses the fields none of them read, so a section lists
/// its fields by reading them (see <see cref="SectionReader"/>).
/// </summary>
public abstract class PolicySection
{
    /// <summary>The field under <c>spec</c>, e.g. <c>driftPrevention</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The control's name for people, e.g. "drift prevention" (logs, <c>policy validate</c>).</summary>
    public abstract string Title { get; }

    /// <summary>
    /// Reads the section (absent: every field at its default) and checks it. Errors go to the
    /// reader, which keeps going: the returned policy is a placeholder when something was wrong,
    /// and the binder then refuses the whole file.
    /// </summary>
    public abstract ControlPolicy Bind(SectionReader section);

    /// <summary>What is worth saying about an enabled control besides its mode, or null.</summary>
    public virtual string? Describe(ControlPolicy policy) => null;

    /// <summary>"drift prevention enforce (2 allowed pattern(s))", or "… off".</summary>
    public string Summary(ControlPolicy policy) =>
        !policy.Enabled ? $"{Title} off"
        : Describe(policy) is { } detail ? $"{Title} {policy.Mode.ToPolicyText()} ({detail})"
        : $"{Title} {policy.Mode.ToPolicyText()}";
}
