namespace MicroEnforcer.Launcher;

/// <summary>
/// The signals PID 1 handles itself. Native/launch_shim.c blocks the same set in every thread
/// before the runtime starts; the supervisor reads them from a signalfd.
/// </summary>
internal static class SupervisedSignals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15,
        SIGCHLD = 17, SIGTTIN = 21, SIGTTOU = 22, SIGWINCH = 28;

    /// <summary>Forwarded to the workload (or its process group), as tini does.</summary>
    public static IReadOnlyList<int> Forwarded { get; } = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

    /// <summary>Everything in the signalfd: the forwarded ones, SIGCHLD, and the terminal-stop
    /// signals, which a process-group leader's parent must not act on.</summary>
    public static ulong Mask
    {
        get
        {
            ulong mask = 0;
            foreach (int signal in Forwarded.Append(SIGCHLD).Append(SIGTTIN).Append(SIGTTOU))
                mask |= 1UL << (signal - 1);
            return mask;
        }
    }
}
