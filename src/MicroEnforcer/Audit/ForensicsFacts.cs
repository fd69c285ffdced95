namespace MicroEnforcer.Audit;

/// <summary>
/// What a Forensics event records beyond the common fields (the process: pid, ppid, uid, path,
/// cmdline; the connection: local, remote, protocol; count for an aggregate).
/// </summary>
/// <param name="Event">process-start, process-exit, connect, accept, listen, or connections (an aggregate).</param>
internal sealed record ForensicsFacts(string Event)
{
    /// <summary>process-start: the working directory.</summary>
    public string? Cwd { get; init; }

    /// <summary>process-exit: "exited", "killed", or "unknown" (reaped by its parent before PID 1 could read it).</summary>
    public string? Exit { get; init; }

    /// <summary>process-exit: the exit status (0-255) when it exited.</summary>
    public int? ExitCode { get; init; }

    /// <summary>process-exit: the signal that killed it.</summary>
    public int? Signal { get; init; }

    /// <summary>process-exit: from the start PID 1 saw (its exec) to the exit.</summary>
    public long? LifetimeMs { get; init; }

    /// <summary>connect, accept, listen: "ok", "in progress", or the errno's name.</summary>
    public string? Result { get; init; }

    /// <summary>connections: the interval the aggregate covers.</summary>
    public long? IntervalMs { get; init; }

    /// <summary>connections: a sample of the distinct remote addresses (or, for outbound, endpoints).</summary>
    public IReadOnlyList<string>? Remotes { get; init; }

    /// <summary>connections: how many distinct remote addresses there were (up to the bound kept).</summary>
    public int? DistinctRemotes { get; init; }
}
