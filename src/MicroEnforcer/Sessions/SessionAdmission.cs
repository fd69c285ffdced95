using MicroEnforcer.Interop;
using MicroEnforcer.Controls;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Sessions;

/// <summary>
/// Which exec sessions may run, as the session controls (<see cref="ISessionControl"/>) decide,
/// on the tracer's thread. A session is decided once, on the program it runs:
/// <list type="bullet">
/// <item>seized while it is still the runtime's own process (runc init setting up, see
/// <see cref="Newcomer.IsRuntimeSetup"/>): at the exec event of its first exec, before the program
/// runs an instruction;</item>
/// <item>seized after that exec (the watcher was late): at the seize, since its program runs already.</item>
/// </list>
/// When a control enforces, a traced session process that was not admitted may not go on: an exec
/// event of its is decided again, and a process it forks is killed (a process forked in the
/// instant between the seize and the kill of a refused session must not outlive it). Admitted
/// processes (an allowed program, what it forks) stay traced only until they carry the filter, and
/// are remembered with their start time: the watcher can report a released session again (its
/// parent is still outside), and its program may have changed since by an exec the filter let
/// through; it was decided once. `microenforcer exec` is let through both points: it asks to
/// join, and the session server decides.
/// </summary>
/// <param name="current">The session controls of the running generation (a policy reload may change them).</param>
internal sealed class SessionAdmission(Func<IReadOnlyList<ISessionControl>> current, Outcome outcome, SessionEnforcement sessions)
{
    private const int PruneThreshold = 4096;

    private readonly Dictionary<int, bool> _entering = [];   // pid → reported in audit mode
    private readonly Dictionary<int, ulong> _admitted = [];   // pid → start time
    private bool Enforces => current().Any(control => control.Mode == EnforcementMode.Enforce);

    public bool Active => current().Count > 0;

    /// <summary>A newcomer was seized (and verified one). True when it was killed.</summary>
    public bool Captured(int pid, in ProcStatus status)
    {
        if (!Active || _entering.ContainsKey(pid) || IsAdmitted(pid))
            return false;   // decided already (a traced process's pid cannot change hands: its exit is reported)
        // Audit mode reports the session's own process (its parent is outside), not each process
        // it had started before the watcher saw them: those are killed too when a control enforces.
        bool report = status.PPid == 0;
        if (Newcomer.IsRuntimeSetup(pid, status) || IsInExec(pid))
        {
            _entering[pid] = report;
            return false;
        }
        return Decide(pid, seizedAfterExec: true, "none", report, ExecPathResolver.DescribeLoaded(pid));
    }

    /// <summary>An exec checked at entry: the process carries the filter, and is no session to decide.</summary>
    public void Checked(int pid) => _entering.Remove(pid);

    /// <summary>
    /// The exec event of a session process (one not seized for an exec check), whose loaded image
    /// the tracer described (<paramref name="program"/>, null if unreadable). True when it was killed.
    /// </summary>
    public bool Exec(int pid, ExecTarget? program)
    {
        if (!Active)
            return false;
        bool first = _entering.Remove(pid, out bool report);
        if (!first && (!Enforces || IsAdmitted(pid)))
            return false;
        return Decide(pid, seizedAfterExec: false, "execve", first && report, program);
    }

    /// <summary>
    /// A session process started another (fork, vfork, clone), which the kernel seized for us.
    /// The kernel names the thread that forked; admission is per process, so a fork from a
    /// worker thread is the process's own. The thread is stopped at its event: its id is its own.
    /// </summary>
    public void Started(int parentThread, int child)
    {
        if (!Active || ProcStatus.Read(child) is not { } status || status.Tgid != child)
            return;   // gone, or a thread of the same process, decided with it
        int parent = _admitted.ContainsKey(parentThread) || _entering.ContainsKey(parentThread)
            ? parentThread
            : ProcStatus.Read(parentThread)?.Tgid ?? parentThread;
        if (IsAdmitted(parent))
        {
            Admit(child);
        }
        else if (Enforces && !_entering.ContainsKey(parent) && !IsJoining(parent))
        {
            var finding = new ControlFinding(current().First(c => c.Mode == EnforcementMode.Enforce).Name,
                $"started by exec session process {parent}, which is refused");
            outcome.AtExecEvent(child, finding, EnforcementMode.Enforce, "fork", NativePath.ReadLink($"/proc/{child}/exe") ?? "?");
        }
    }

    public void Exited(int pid)
    {
        _entering.Remove(pid);
        _admitted.Remove(pid);
    }

    private bool Decide(int pid, bool seizedAfterExec, string syscall, bool report, ExecTarget? program)
    {
        if (IsJoining(pid))
        {
            Admit(pid);   // to the tracer: whether it may join is the session server's to say
            return false;
        }
        if (program is null && ProcCmdline.IsEmpty(pid) != false)
            return false;   // gone, or exiting: its memory, and with it exe and cmdline, is gone already
        foreach (ISessionControl control in current())
        {
            ControlFinding? finding = program is null
                ? new ControlFinding(control.Name, "an exec session's program cannot be inspected (/proc/PID/exe unreadable)")
                : control.Evaluate(program, seizedAfterExec);
            if (finding is not null && outcome.AtExecEvent(pid, finding, control.Mode, syscall, program?.CanonicalPath ?? "?", reportDetection: report))
                return true;
        }
        Admit(pid);
        return false;
    }

    private bool IsAdmitted(int pid) =>
        _admitted.TryGetValue(pid, out ulong started) && ProcStat.Read(pid)?.StartTime == started;

    private void Admit(int pid)
    {
        if (_admitted.Count >= PruneThreshold)
        {
            // Released processes are not traced, so their exits are not reported: drop the gone.
            foreach (int known in _admitted.Keys.ToList())
            {
                if (!IsAdmitted(known))
                    _admitted.Remove(known);
            }
        }
        if (ProcStat.Read(pid) is { } stat)
            _admitted[pid] = stat.StartTime;
    }

    // Seized while it execs (the seize does not stop it): the new image is mapped but its
    // arguments are not there yet. Its exec event, which it reports to us, decides it.
    private static bool IsInExec(int pid) =>
        ProcCmdline.IsEmpty(pid) == true && NativePath.ReadLink($"/proc/{pid}/exe") is not null;

    // `microenforcer exec`: it joins by itself, and the session server decides whether it may.
    private bool IsJoining(int pid) =>
        sessions.IsEnforcerBinary(pid) && ProcCmdline.ReadArgv(pid) is [_, "exec", ..];
}
