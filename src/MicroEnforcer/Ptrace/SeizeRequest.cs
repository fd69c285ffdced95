using MicroEnforcer.Launcher;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// A request from the notify loop to the supervisor thread: ptrace requests for a tracee must all
/// come from the thread that seized it, so the notify loop cannot seize by itself. It waits on
/// <see cref="Done"/> (0, or the errno of PTRACE_SEIZE), with the caller still parked in its
/// seccomp notification, until the seize is done.
/// </summary>
internal sealed record SeizeRequest(int Tid, PendingExec Pending)
{
    public Rendezvous Done { get; } = new();
}
