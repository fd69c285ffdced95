using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// PID 1's threads for network calls that may wait (a connect on a blocking socket waits for the
/// handshake, up to minutes for an unanswered SYN): the notify loop must never wait, or every
/// other process of the workload would. Threads are started as calls need them, up to
/// <see cref="MaxThreads"/>; beyond that calls queue, and a caller waits for a free thread as
/// well as for its peer. They are plain threads, not the task pool, whose injection heuristics
/// could leave a call waiting behind blocked ones.
/// </summary>
internal sealed class NetworkWorkers
{
    public const int MaxThreads = 64;

    private readonly Queue<Action> _jobs = new();
    private readonly object _lock = new();
    private int _threads, _idle;

    public void Run(Action job)
    {
        bool start = false;
        lock (_lock)
        {
            _jobs.Enqueue(job);
            if (_idle > 0)
            {
                _idle--;   // counted off here, not by the woken thread: a second job before it wakes must not count on it too
                Monitor.Pulse(_lock);
            }
            else if (_threads < MaxThreads)
            {
                _threads++;
                start = true;
            }
        }
        if (start)
            NamedThread.Start("net-worker", Work);
    }

    private void Work()
    {
        while (true)
        {
            Action job;
            lock (_lock)
            {
                while (_jobs.Count == 0)
                {
                    _idle++;
                    Monitor.Wait(_lock);
                }
                job = _jobs.Dequeue();
            }
            job();
        }
    }
}
