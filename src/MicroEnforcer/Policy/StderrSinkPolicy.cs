namespace MicroEnforcer.Policy;

/// <summary>The JSON line on the enforcer's stderr (<c>type: stderr</c>), the default sink.</summary>
public sealed record StderrSinkPolicy : AuditSinkPolicy
{
    public const string TypeName = "stderr";

    public static StderrSinkPolicy Instance { get; } = new();

    public override string Type => TypeName;

    public override string Describe() => TypeName;
}
