namespace MicroEnforcer.Controls;

/// <summary>
/// Bounds the events a flood of reported calls writes (a process looping on sethostname, a
/// container that mounts hundreds of things at start). Within one window, each thread may have
/// <c>perCaller</c> calls of one syscall reported one by one, and all threads together
/// <c>perWindow</c>; the calls over that are held back and counted per syscall, and the owner
/// writes one event for each such syscall when it ends the window, naming the first caller held
/// back. Memory stays bounded: at most perWindow callers and one entry per syscall name.
/// Not thread-safe: the owner locks.
/// </summary>
internal sealed class ReportBudget(int perCaller, int perWindow)
{
    private readonly Dictionary<(int Tid, string Syscall), int> _spent = [];
    private readonly Dictionary<string, HeldBack> _heldBack = new(StringComparer.Ordinal);
    private int _reported;

    /// <summary>Whether this call may be reported on its own; if so, it is counted against the budget.</summary>
    public bool TrySpend(int tid, string syscall)
    {
        if (_reported >= perWindow)
            return false;
        int spent = _spent.GetValueOrDefault((tid, syscall));
        if (spent >= perCaller)
            return false;
        _spent[(tid, syscall)] = spent + 1;
        _reported++;
        return true;
    }

    /// <summary>Counts a call over the budget; <paramref name="first"/> is asked only for the first one of its syscall in the window.</summary>
    public void HoldBack(string syscall, Func<ProcessSnapshot> first)
    {
        if (_heldBack.TryGetValue(syscall, out HeldBack? held))
            held.Count++;
        else
            _heldBack[syscall] = new HeldBack(syscall, first()) { Count = 1 };
    }

    /// <summary>Ends the window: the calls held back in it, per syscall, and a fresh budget.</summary>
    public IReadOnlyList<HeldBack> EndWindow()
    {
        HeldBack[] held = [.. _heldBack.Values];
        _heldBack.Clear();
        _spent.Clear();
        _reported = 0;
        return held;
    }

    /// <summary>Calls of one syscall held back in a window: how many, and who made the first.</summary>
    internal sealed class HeldBack(string syscall, ProcessSnapshot first)
    {
        public string Syscall { get; } = syscall;

        public ProcessSnapshot First { get; } = first;

        public int Count { get; set; }
    }
}
