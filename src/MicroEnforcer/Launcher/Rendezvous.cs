namespace MicroEnforcer.Launcher;

/// <summary>A one-shot handoff of an int result from the reaper thread to a waiting thread.</summary>
internal sealed class Rendezvous
{
    private readonly object _lock = new();
    private bool _done;
    private int _result;

    public void Complete(int result)
    {
        lock (_lock)
        {
            _result = result;
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
            return _result;
        }
    }
}
