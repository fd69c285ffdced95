namespace MicroEnforcer.Policy;

/// <summary>
/// One audit sink of <c>spec.audit.sinks</c>. Each type is a record of its own with the fields
/// that type reads; records compare by value, so a reloaded policy with the same sinks is equal
/// and two equal entries in one list are refused as duplicates.
/// </summary>
public abstract record AuditSinkPolicy
{
    /// <summary>The <c>type</c> values, in the order the documentation lists them.</summary>
    public static readonly IReadOnlyList<string> Types = [StderrSinkPolicy.TypeName, HttpSinkPolicy.OtlpType, HttpSinkPolicy.FalcoType, SyslogSinkPolicy.TypeName];

    /// <summary>The sink's <c>type</c>: stderr, otlp, falco or syslog.</summary>
    public abstract string Type { get; }

    /// <summary>Where it delivers, for people: "otlp https://collector:4318/v1/logs".</summary>
    public abstract string Describe();
}
