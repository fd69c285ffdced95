namespace MicroEnforcer.Policy;

/// <summary>One problem found in a policy file.</summary>
/// <param name="Source">The file (or other origin) the policy was read from.</param>
/// <param name="Line">1-based line; 0 when the problem is the file itself (missing, unreadable).</param>
/// <param name="Column">1-based column; 0 together with a 0 line.</param>
/// <param name="Field">Dotted path of the offending field, e.g. <c>spec.driftPrevention.enabled</c>.</param>
/// <param name="Message">What is wrong, in plain words.</param>
public sealed record PolicyError(string Source, int Line, int Column, string Field, string Message)
{
    // The compiler-style "file:line:column:" prefix lets editors and terminals jump to the spot.
    public override string ToString() => $"{Source}:{Line}:{Column}: {Field}: {Message}";
}
