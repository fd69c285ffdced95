namespace MicroEnforcer.Launcher;

/// <summary>A blocking FIFO between threads of PID 1 (many producers, one consumer).</summary>
internal sealed class WorkQueue<T>
{
    private readonly Queue<T> _items = new();
    private readonly object _lock = new();

    public void Post(T item)
    {
        lock (_lock)
        {
            _items.Enqueue(item);
            Monitor.Pulse(_lock);
        }
    }

    public T Take()
    {
        lock (_lock)
        {
            while (_items.Count == 0)
                Monitor.Wait(_lock);
            return _items.Dequeue();
        }
    }
}
