using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy;

/// <summary>Either a policy or every error found while loading it, never both; and warnings either way.</summary>
public sealed class PolicyLoadResult
{
    private PolicyLoadResult(RuntimePolicy? policy, IReadOnlyList<PolicyError> errors, IReadOnlyList<string> warnings)
    {
        Policy = policy;
        Errors = errors;
        Warnings = warnings;
    }

    public RuntimePolicy? Policy { get; }

    /// <summary>Errors ordered by position in the file; empty when <see cref="Succeeded"/>.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    /// <summary>What does not refuse the policy but is worth telling: the lines list files skipped ("FILE:LINE: reason").</summary>
    public IReadOnlyList<string> Warnings { get; }

    [MemberNotNullWhen(true, nameof(Policy))]
    public bool Succeeded => Policy is not null;

    internal static PolicyLoadResult Success(RuntimePolicy policy, IReadOnlyList<string>? warnings = null) => new(policy, [], warnings ?? []);

    internal static PolicyLoadResult Failure(IReadOnlyList<PolicyError> errors, IReadOnlyList<string>? warnings = null) => new(null, errors, warnings ?? []);
}
