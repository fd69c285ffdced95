using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Procfs;
using MicroEnforcer.Ptrace;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Supervision;

/// <summary>
/// The fast check of an execve/execveat, at syscall entry. It refuses with EACCES, so a shell
/// prints "Permission denied". It is not the decisive one: what it reads from the caller's
/// memory may be rewritten after it answers, so every CONTINUE it gives is preceded by a seize,
/// and the <see cref="Tracer"/> decides again on what the kernel actually loaded.
/// </summary>
internal sealed class ExecEntryCheck(LiveControls live, Tracer tracer, Outcome outcome)
{
    /// <summary>
    /// The answer that is no answer yet: the file is not provably the image's and the baseline
    /// is still being recorded. The caller stays parked in its notification (killably, so no
    /// signal sees it) until <see cref="NotifyLoop"/> asks again, once the baseline is recorded.
    /// </summary>
    public const int AwaitBaseline = int.MinValue;

    /// <summary>Returns the answer: 0 (CONTINUE), a negative errno, <see cref="AwaitBaseline"/>, or null when nobody waits any more.</summary>
    public int? Decide(ulong id, int tid, ExecRequest request, NotificationListener listener)
    {
        ActiveControls controls = live.Current;   // one generation for the whole decision
        int errno = ProcessMemory.TryReadCBytes(tid, request.PathAddress, ProcessMemory.PathMax, out byte[]? pathBytes);
        if (!listener.IsStillValid(id))
            return null;   // the caller is gone; what was read may belong to a recycled pid
        if (errno is Libc.EFAULT or Libc.ENAMETOOLONG)
            return -errno;   // exactly what the kernel would answer
        if (errno != 0 || pathBytes is null)
            return Undecidable(id, listener, tid, request, "?", $"cannot read the exec path from the caller's memory: {Libc.DescribeErrno(errno)}");
        string path = PathText.Decode(pathBytes);

        int fd = ExecPathResolver.Open(tid, request.DirFd, pathBytes, request.Flags);
        if (fd == ExecPathResolver.MagicLink)
            return Undecidable(id, listener, tid, request, path, "the path leads through a /proc magic link other than the caller's own fd, exe, root or cwd links");
        if (fd < 0)
            return fd;   // the exec would fail the same way now; an answer we give needs no tracer

        ExecTarget? target;
        ExecDecision decision;
        try
        {
            target = ExecPathResolver.Describe(tid, fd, path);
            if (target is null)
                return Undecidable(id, listener, tid, request, path, "cannot inspect the file to be executed");
            // A multi-call binary runs the applet its argv names (busybox's sh re-execs
            // /proc/self/exe as "wget"): read from the caller, so it may change before the
            // kernel reads it, which the exec event's check, on the new image's argv, settles.
            // Only read when a control judges applets: busybox images exec busybox every time.
            if (controls.ExecUsesApplet && ExecTarget.IsMultiCall(target.CanonicalPath) && ReadApplet(tid, request, target.CanonicalPath) is { } applet)
                target = target with { Applet = applet };
            decision = controls.Exec.Decide(target);
        }
        finally
        {
            Libc.Close(fd);
        }

        if (decision.AwaitsBaseline)
            return AwaitBaseline;   // nothing seized, nothing reported: all of it happens when asked again
        if (decision.Finding is not null)
        {
            int? reported = Report(id, listener, tid, target.CanonicalPath, path, request, decision);
            if (reported != 0)
                return reported;   // refused (enforce mode), or the caller is gone; in audit mode it goes on
        }

        // Every CONTINUE is preceded by a seize: that is what makes the entry check's reads safe to race.
        int seizeErrno = tracer.Seize(tid, new PendingExec(request.Syscall, path, decision, target.CanonicalPath));
        if (!listener.IsStillValid(id))
        {
            // The caller died (or was interrupted and will ask again): hold nothing for it, and
            // never a task that may since have been given its tid.
            if (seizeErrno == 0)
                tracer.Release(tid);
            return null;
        }
        if (seizeErrno != 0)
            return Undecidable(id, listener, tid, request, path, $"cannot attach the tracer that verifies the loaded image: {Libc.DescribeErrno(seizeErrno)}");
        return 0;
    }

    // argv[0] names the applet unless it names the multiplexer itself: two small reads for the usual exec.
    private static string? ReadApplet(int tid, ExecRequest request, string executablePath)
    {
        List<string>? argv = ProcessMemory.TryReadArgvList(tid, request.ArgvAddress, request.Pointers32, 1);
        if (argv is [string argv0] && MultiCallApplet.NeedsMoreThanArgv0(executablePath, argv0))
            argv = ProcessMemory.TryReadArgvList(tid, request.ArgvAddress, request.Pointers32, MultiCallApplet.ArgvNeeded);
        return argv is null ? null : MultiCallApplet.Of(executablePath, argv);
    }

    /// <summary>No decision is possible: refuse in enforce mode, let it run and say so in audit mode.</summary>
    private int? Undecidable(ulong id, NotificationListener listener, int tid, ExecRequest request, string path, string reason) =>
        Report(id, listener, tid, path, path, request, live.Current.Undecidable(reason));

    // Only reports read the argv from the caller's memory: an allowed exec never pays for it.
    // The caller is still parked in its notification, so the argv is the one it passed.
    // Refused with EACCES, so a shell prints "Permission denied".
    // A caller gone since the file was opened through its /proc is not reported: its pid may be
    // another process's by now (null: no answer).
    private int? Report(ulong id, NotificationListener listener, int tid, string path, string requestedPath, ExecRequest request, ExecDecision decision)
    {
        string? cmdline = ProcessMemory.TryReadArgv(tid, request.ArgvAddress, request.Pointers32);
        if (!listener.IsStillValid(id))
            return null;
        return outcome.AtCall(tid, decision.Finding!, decision.Mode, Libc.EACCES, request.Syscall, path, requestedPath, cmdline);
    }
}
