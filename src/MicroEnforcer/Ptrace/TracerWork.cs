namespace MicroEnforcer.Ptrace;

/// <summary>What the tracer thread is asked to do, in arrival order.</summary>
internal abstract record TracerWork
{
    /// <summary>From the notify loop: seize the exec'ing thread before its CONTINUE.</summary>
    public sealed record Seize(SeizeRequest Request) : TracerWork;

    /// <summary>From the notify loop: the notification died after a seize; let the task go.</summary>
    public sealed record Release(int Tid) : TracerWork;

    /// <summary>From the reaper: waitpid reported a traced task stopped.</summary>
    public sealed record Stopped(int Pid, int Status) : TracerWork;

    /// <summary>From the reaper: a task is gone.</summary>
    public sealed record Exited(int Pid) : TracerWork;
}
