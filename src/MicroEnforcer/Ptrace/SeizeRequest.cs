namespace MicroEnforcer.Ptrace;

/// <summary>
/// A request from the notify loop to the supervisor thread: ptrace requests for a tracee must all
/// come from the thread that seized it, so the notify loop cannot seize by itself. It waits here,
/// with the caller still parked in its seccomp notification, until the seize is done.
/// </summary>
internal sealed class SeizeRequest(int tid, PendingExec pending)
{
    private readonly object _lock = new();
    private bool _done;

    public int Tid { get; } = tid;

    public PendingExec Pending { get; } = pending;

    /// <summary>0 once the task is traced, else the errno of PTRACE_SEIZE.</summary>
    public int Errno { get; private set; }

    public void Complete(int errno)
    {
        lock (_lock)
        {
            Errno = errno;
            _done = true;
            Monitor.PulseAll(_lock);
        }
    }

    public int Wait()
    {
        lock (_lock)
        {
            while (!_done)
                Monitor.Wait(_lock);
            return Errno;
        }
    }
}
