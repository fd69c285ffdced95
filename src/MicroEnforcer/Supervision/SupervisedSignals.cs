namespace MicroEnforcer.Supervision;

/// <summary>
/// The signals PID 1 handles itself. Native/launch_shim.c blocks the same set in every thread
/// before the runtime starts (keep the two in step); the reaper reads them from a signalfd.
/// Like tini, every signal is forwarded to the workload except SIGCHLD (PID 1's own), the
/// terminal stops SIGTTIN/SIGTTOU (ignored), and the synchronous ones (SIGILL, SIGTRAP, SIGABRT,
/// SIGBUS, SIGFPE, SIGSEGV, SIGSYS), which are about PID 1's own faults and stay unblocked.
/// SIGRTMIN (34) is left alone: the .NET runtime uses it to suspend its threads for the GC.
/// </summary>
internal static class SupervisedSignals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGUSR1 = 10, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24,
        SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGRTMIN = 34, SIGRTMAX = 64;

    private static readonly int[] Classic =
        [SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCONT, SIGTSTP, SIGURG, SIGXCPU,
         SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR];

    /// <summary>Forwarded to the workload (or its process group).</summary>
    public static bool IsForwarded(int signal) =>
        Array.IndexOf(Classic, signal) >= 0 || (signal > SIGRTMIN && signal <= SIGRTMAX);

    /// <summary>Everything in the signalfd: the forwarded ones, SIGCHLD, SIGTTIN and SIGTTOU.</summary>
    public static ulong Mask
    {
        get
        {
            ulong mask = 0;
            for (int signal = 1; signal <= SIGRTMAX; signal++)
            {
                if (IsForwarded(signal) || signal is SIGCHLD or SIGTTIN or SIGTTOU)
                    mask |= 1UL << (signal - 1);
            }
            return mask;
        }
    }
}
