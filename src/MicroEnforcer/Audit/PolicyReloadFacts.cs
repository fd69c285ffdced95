namespace MicroEnforcer.Audit;

/// <summary>
/// The outcome of reading a changed policy file (the event's "reload" object; control
/// "policyReload", action observed).
/// </summary>
/// <param name="Path">The policy file as given to <c>run --policy</c>.</param>
/// <param name="Result">"applied", "pending-restart" (some changes wait for a restart), "rejected" or "unchanged".</param>
/// <param name="OldHash">SHA-256 (hex) of the policy in force before the reload.</param>
/// <param name="NewHash">SHA-256 (hex) of the file read; null when it could not be read.</param>
/// <param name="Applied">The changes now in force.</param>
/// <param name="Pending">The changes that wait for a restart.</param>
/// <param name="Errors">Every error of a rejected policy, with its line.</param>
internal sealed record PolicyReloadFacts(string Path, string Result, string? OldHash, string? NewHash,
    IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Errors);
