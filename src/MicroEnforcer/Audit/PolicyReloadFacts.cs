namespace MicroEnforcer.Audit;

/// <summary>
/// A policy reload: the file, its result ("applied", "pending-restart", "rejected", "unchanged"),
/// the SHA-256 of the file content that ran before and of the content read now, the controls
/// changed live, what waits for a restart (with why), and every error of a rejected file.
/// </summary>
internal sealed record PolicyReloadFacts(string Path, string Result, string? OldHash, string? NewHash,
    IReadOnlyList<string> Applied, IReadOnlyList<string> Pending, IReadOnlyList<string> Errors);
