using MicroEnforcer.Controls;

namespace MicroEnforcer.Ptrace;

/// <summary>What the entry check saw of an exec that was let through, for the loaded check.</summary>
internal sealed record PendingExec(string Syscall, string RequestedPath, ExecDecision EntryDecision, string? EntryCanonicalPath);
