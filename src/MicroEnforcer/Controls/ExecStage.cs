namespace MicroEnforcer.Controls;

/// <summary>Where an exec is being decided.</summary>
internal enum ExecStage
{
    /// <summary>At syscall entry (seccomp notification): a denial fails the call with EACCES.</summary>
    Entry,

    /// <summary>At PTRACE_EVENT_EXEC: the new image is loaded and has not run; a denial kills it.</summary>
    Loaded,
}
