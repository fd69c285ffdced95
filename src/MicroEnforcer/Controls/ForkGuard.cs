using System.Diagnostics;
using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// Keeps the number of processes in the container at or under maxProcesses, without cgroup
/// write access: the filter sends fork, vfork and clone without CLONE_THREAD here, and past the
/// limit they fail with EAGAIN (what the kernel's own RLIMIT_NPROC answers; useless for root).
///
/// A fork is refused only on an exact count. Counting /proc on every fork would cost more than
/// the fork, so between counts PID 1 keeps an upper bound: the last count plus every fork allowed
/// since (processes only appear by forking, or from outside, which the periodic recount picks
/// up). When the bound reaches the limit, PID 1 counts exactly before it refuses anything: the
/// processes /proc lists, plus the forks still in flight, which the kernel may not have created
/// yet. A fork is in flight from PID 1's CONTINUE until its caller is out of that syscall, and a
/// thread makes one syscall at a time: so the in-flight forks are tracked per thread, forgotten
/// when the thread's next notification arrives, and otherwise settled at the count by
/// /proc/TID/syscall (gone, blocked outside any syscall or in another one: done; still in the
/// fork, or running so that the file cannot tell: still counted, the safe side). A vfork caller
/// blocked until its child execs counts twice until then.
///
/// A fork bomb holds the count at the limit: an exact count that found the limit reached stands
/// for <see cref="RecountAtLimitTicks"/> (only exits can lower it, and PID 1 cannot see
/// those), unless PID 1 reaped something meanwhile (children of a killed bomb, reparented to it):
/// so a bomb hammering fork cannot keep PID 1 busy counting. Denials are audited as one event per
/// second with a count.
/// </summary>
internal sealed class ForkGuard : ISyscallControl, IDisposable
{
    public const string ControlName = "forkGuard";

    private static readonly long RecountAtLimitTicks = Stopwatch.Frequency / 500;   // 2 ms
    private static readonly long RecountAnywayTicks = Stopwatch.Frequency;          // 1 s

    // Settling a thread that is running (on a CPU, or runnable but not yet on one) waits for it
    // to block or leave the call, yielding the CPU between looks; then it is counted as in flight.
    private const int SettleRounds = 16;

    // More threads than this with a fork not known finished: settle them now, not at the next
    // count, so that the bookkeeping stays small and each settle cheap.
    private const int InFlightSettleThreshold = 256;

    private readonly ForkGuardPolicy _policy;
    private readonly AuditLog _audit;
    private readonly Func<int> _countProcesses;
    private readonly Func<int> _reapNow;
    private readonly Func<long> _clock;
    private readonly Timer _flush;
    private readonly Lock _lock = new();

    // Threads whose allowed fork may not have created its child yet, with the syscall number
    // seccomp reported for it (as /proc/TID/syscall shows it while the thread is in it).
    private readonly Dictionary<int, uint> _inFlight = [];
    private readonly List<int> _settled = [];

    private int _upperBound = -1;      // processes there may be now; -1 before the first count
    private int _visibleAtCount;       // processes /proc listed at the last exact count
    private int _allowedSinceCount;    // forks allowed since the last exact count
    private int _reapedAtCount = -1;
    private long _lastCount;

    // Denials since the last audit event (guarded by _lock: the timer flushes them), and who made
    // the first of them, read from /proc when it happened: a second later the pid may be another
    // process's. One read per event, not per denial, so a bomb does not make PID 1 read /proc.
    private int _denied;
    private int _deniedAtVisible, _deniedAtInFlight;
    private Offender? _first;

    private sealed record Offender(int Pid, string Syscall, ProcStatus? Status, string? Exe, string? Cmdline);

    /// <param name="countProcesses">Lists the processes of the pid namespace (<see cref="ProcessCounter.Count"/>).</param>
    /// <param name="reapNow">Reaps PID 1's zombies now; returns how many were reaped in all so far.</param>
    /// <param name="clock">Stopwatch timestamps (tests pass their own: how long a count stands is part of the decision).</param>
    public ForkGuard(ForkGuardPolicy policy, AuditLog audit, Func<int> countProcesses, Func<int> reapNow, Func<long>? clock = null)
    {
        _clock = clock ?? Stopwatch.GetTimestamp;
        _policy = policy;
        _audit = audit;
        _countProcesses = countProcesses;
        _reapNow = reapNow;
        _flush = new Timer(_ => Flush(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public string Name => ControlName;

    public EnforcementMode Mode => _policy.Mode;

    public IReadOnlyList<SyscallKind> Kinds { get; } = [SyscallKind.Fork, SyscallKind.Vfork, SyscallKind.Clone];

    /// <summary>Registers only: nothing read from the caller, nothing to validate. Refusals are reported aggregated (see <see cref="Flush"/>).</summary>
    public SyscallVerdict Decide(in SyscallCall call)
    {
        int answer = Decide(call.Tid, call.Name, call.Nr);
        return answer == 0 ? SyscallVerdict.Continue : SyscallVerdict.Refused(-answer);
    }

    /// <summary>Forks allowed whose child may not exist yet, as of the last count or settle (for tests and logs).</summary>
    internal int InFlight => _inFlight.Count;

    /// <summary>
    /// Decides a notified fork of thread <paramref name="tid"/>, whose syscall number (as seccomp
    /// reported it) is <paramref name="nr"/>. Called by the notify loop only. 0 lets it through, else -errno.
    /// </summary>
    public int Decide(int tid, string syscall, uint nr)
    {
        // This thread is in a new syscall: its previous one, if a fork, has returned, and the
        // child it made (if any) is in /proc.
        _inFlight.Remove(tid);

        long now = _clock();
        if (_upperBound < 0 || now - _lastCount > RecountAnywayTicks || _inFlight.Count >= InFlightSettleThreshold)
        {
            Recount(now, _reapedAtCount);
        }
        else if (_upperBound + 1 > _policy.MaxProcesses)
        {
            // The bound says full: count exactly, unless an exact count found it full a moment
            // ago and nothing that PID 1 can see left since.
            int reaped = _reapNow();
            bool exactAndFresh = _allowedSinceCount == 0 && reaped == _reapedAtCount && now - _lastCount <= RecountAtLimitTicks;
            if (!exactAndFresh)
                Recount(now, reaped);
        }

        if (_upperBound + 1 <= _policy.MaxProcesses)
        {
            Allow(tid, nr);
            return 0;
        }

        RecordDenial(tid, syscall);
        if (_policy.Mode == EnforcementMode.Enforce)
            return -Libc.EAGAIN;
        Allow(tid, nr);   // audit mode: it happens
        return 0;
    }

    private void Allow(int tid, uint nr)
    {
        _upperBound++;
        _allowedSinceCount++;
        _inFlight[tid] = nr;
    }

    /// <summary>The exact count: the forks still in flight are settled first, then /proc is listed.</summary>
    private void Recount(long now, int reaped)
    {
        SettleInFlight();
        _visibleAtCount = _countProcesses();
        _upperBound = _visibleAtCount + _inFlight.Count;
        _allowedSinceCount = 0;
        _lastCount = now;
        _reapedAtCount = reaped;
    }

    private void SettleInFlight()
    {
        for (int round = 0; round < SettleRounds && _inFlight.Count > 0; round++)
        {
            bool anyRunning = false;
            _settled.Clear();
            foreach ((int tid, uint nr) in _inFlight)
            {
                switch (TaskSyscall.Read(tid, out long number))
                {
                    case TaskSyscallState.Gone or TaskSyscallState.NotInSyscall:
                    case TaskSyscallState.InSyscall when number != nr:
                        _settled.Add(tid);
                        break;
                    case TaskSyscallState.Running:
                        anyRunning = true;
                        break;
                }
            }
            foreach (int tid in _settled)
                _inFlight.Remove(tid);
            if (!anyRunning)
                return;
            Thread.Yield();
        }
    }

    private void RecordDenial(int tid, string syscall)
    {
        bool first;
        lock (_lock)
        {
            first = _denied++ == 0;
            (_deniedAtVisible, _deniedAtInFlight) = (_visibleAtCount, _upperBound - _visibleAtCount);
        }
        if (first)
        {
            var offender = new Offender(tid, syscall, ProcStatus.Read(tid), NativePath.ReadLink($"/proc/{tid}/exe"), ProcCmdline.Read(tid));
            lock (_lock)
                _first ??= offender;
        }
    }

    /// <summary>Writes the denials of the last second as one event, if there were any.</summary>
    public void Flush()
    {
        int denied, count, inFlight;
        Offender? offender;
        lock (_lock)
        {
            if (_denied == 0 || _first is null)
                return;
            (denied, count, inFlight, offender) = (_denied, _deniedAtVisible, _deniedAtInFlight, _first);
            _denied = 0;
            _first = null;
        }
        bool enforce = _policy.Mode == EnforcementMode.Enforce;
        ProcStatus? status = offender.Status;
        _audit.Write(new AuditEvent(
            ControlName, enforce ? AuditAction.Blocked : AuditAction.Detected, _policy.Mode.ToPolicyText(),
            status?.Tgid ?? offender.Pid, status?.PPid, status?.Uid, offender.Exe ?? "?", null, offender.Cmdline,
            $"process limit reached: {count} processes in the container" + (inFlight > 0 ? $" and {inFlight} being created" : "") +
            $", maxProcesses {_policy.MaxProcesses}; " +
            $"{denied} process creation{(denied == 1 ? "" : "s")} {(enforce ? "refused (EAGAIN)" : "over the limit")} in the last second",
            offender.Syscall)
        {
            Count = denied,
        });
    }

    public void Dispose()
    {
        _flush.Dispose();
        Flush();
    }
}
