namespace MicroEnforcer.Controls;

/// <summary>
/// The running controls as they are now: the generation made at start, then each one a policy
/// reload installs (<see cref="ActiveControls.Next"/>). Whoever decides reads <see cref="Current"/>
/// once per decision and keeps to that generation for the rest of it, so a decision is made wholly
/// under the old policy or wholly under the new. Generations are installed on the notify loop's
/// thread only, between two of its decisions (see Supervision.PolicyReloader); other threads (the
/// session server, network workers) see the new generation from their next decision on.
/// </summary>
internal sealed class LiveControls(ActiveControls initial)
{
    private ActiveControls _current = initial;

    public ActiveControls Current => Volatile.Read(ref _current);

    /// <summary>Makes <paramref name="next"/> the running generation; returns the one it replaces.</summary>
    public ActiveControls Install(ActiveControls next) => Interlocked.Exchange(ref _current, next);
}
