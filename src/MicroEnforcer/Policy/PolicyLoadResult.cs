using System.Diagnostics.CodeAnalysis;

namespace MicroEnforcer.Policy;

/// <summary>Either a policy or every error found while loading it, never both.</summary>
public sealed class PolicyLoadResult
{
    private PolicyLoadResult(RuntimePolicy? policy, IReadOnlyList<PolicyError> errors)
    {
        Policy = policy;
        Errors = errors;
    }

    public RuntimePolicy? Policy { get; }

    /// <summary>Errors ordered by position in the file; empty when <see cref="Succeeded"/>.</summary>
    public IReadOnlyList<PolicyError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Policy))]
    public bool Succeeded => Policy is not null;

    internal static PolicyLoadResult Success(RuntimePolicy policy) => new(policy, []);

    internal static PolicyLoadResult Failure(IReadOnlyList<PolicyError> errors) => new(null, errors);
}
