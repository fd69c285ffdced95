using System.Diagnostics;
using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;

namespace MicroEnforcer.Controls;

/// <summary>
/// Keeps the number of processes in the container at or under maxProcesses, without cgroup
/// write access: the filter sends fork, vfork and clone without CLONE_THREAD here, and past the
/// limit they fail with EAGAIN (what the kernel's own RLIMIT_NPROC answers; useless for root).
///
/// Counting /proc on every fork would cost more than the fork, so the count is an upper bound:
/// the last scan plus every fork allowed since (processes only appear by forking, or from
/// outside, which the periodic rescan picks up). Only near the limit, or after a second, is /proc
/// scanned again; at the limit the reaper first reaps whatever zombies are ours (children of
/// a killed bomb, reparented to PID 1), and /proc is rescanned when something was reaped, else
/// at most once per 10 ms, so a bomb hammering fork cannot keep PID 1 busy scanning. Denials are
/// audited as one event per second with a count.
/// </summary>
internal sealed class ForkGuard : IDisposable
{
    public const string ControlName = "forkGuard";

    private static readonly long RescanAtLimitTicks = Stopwatch.Frequency / 100;   // 10 ms
    private static readonly long RescanAnywayTicks = Stopwatch.Frequency;          // 1 s
    private static readonly long InFlightTicks = Stopwatch.Frequency / 10;         // 100 ms

    private readonly ForkGuardPolicy _policy;
    private readonly AuditLog _audit;
    private readonly ProcessCounter _counter;
    private readonly Func<int> _reapNow;
    private readonly Timer _flush;
    private int _reapedAtScan = -1;

    // Forks answered CONTINUE recently: the kernel may not have created their children yet, so
    // a scan of /proc cannot see them. A rescan counts them on top (conservative by design).
    private readonly Queue<long> _recentlyAllowed = new();
    private readonly Lock _lock = new();
    private int _upperBound = -1;
    private int _scanned;
    private long _lastScan;

    // Denials since the last audit event (guarded by _lock: the timer flushes them), and who made
    // the first of them, read from /proc when it happened: a second later the pid may be another
    // process's. One read per event, not per denial, so a bomb does not make PID 1 read /proc.
    private int _denied;
    private int _lastCount;
    private Offender? _first;

    private sealed record Offender(int Pid, string Syscall, ProcStatus? Status, string? Exe, string? Cmdline);

    /// <param name="reapNow">Reaps PID 1's zombies now; returns how many were reaped in all so far.</param>
    public ForkGuard(ForkGuardPolicy policy, AuditLog audit, ProcessCounter counter, Func<int> reapNow)
    {
        _policy = policy;
        _audit = audit;
        _counter = counter;
        _reapNow = reapNow;
        _flush = new Timer(_ => Flush(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public bool Enabled => _policy.Enabled;

    /// <summary>Decides a notified fork (called by the notify loop only). 0 lets it through, else -errno.</summary>
    public int Decide(int tid, string syscall)
    {
        long now = Stopwatch.GetTimestamp();
        bool stale = _upperBound < 0 || now - _lastScan > RescanAnywayTicks;
        bool atLimit = _upperBound + 1 > _policy.MaxProcesses;
        int reaped = atLimit ? _reapNow() : _reapedAtScan;
        if (stale || (atLimit && (reaped != _reapedAtScan || now - _lastScan > RescanAtLimitTicks)))
        {
            while (_recentlyAllowed.Count > 0 && now - _recentlyAllowed.Peek() > InFlightTicks)
                _recentlyAllowed.Dequeue();
            _scanned = _counter.Count();
            _upperBound = _scanned + _recentlyAllowed.Count;
            _lastScan = now;
            _reapedAtScan = reaped;
        }
        if (_upperBound + 1 <= _policy.MaxProcesses)
        {
            _upperBound++;
            _recentlyAllowed.Enqueue(now);
            if (_recentlyAllowed.Count > _policy.MaxProcesses)
                _recentlyAllowed.Dequeue();   // bounded: more than the limit cannot be in flight
            return 0;
        }

        RecordDenial(tid, syscall);
        if (_policy.Mode == EnforcementMode.Enforce)
            return -Libc.EAGAIN;
        _upperBound++;   // audit mode: it happens
        return 0;
    }

    private void RecordDenial(int tid, string syscall)
    {
        bool first;
        lock (_lock)
        {
            first = _denied++ == 0;
            _lastCount = _scanned;
        }
        if (first)
        {
            var offender = new Offender(tid, syscall, ProcStatus.Read(tid), ExecPathResolver.ReadLink($"/proc/{tid}/exe"), ProcCmdline.Read(tid));
            lock (_lock)
                _first ??= offender;
        }
    }

    /// <summary>Writes the denials of the last second as one event, if there were any.</summary>
    public void Flush()
    {
        int denied, count;
        Offender? offender;
        lock (_lock)
        {
            if (_denied == 0 || _first is null)
                return;
            (denied, count, offender) = (_denied, _lastCount, _first);
            _denied = 0;
            _first = null;
        }
        bool enforce = _policy.Mode == EnforcementMode.Enforce;
        ProcStatus? status = offender.Status;
        _audit.Write(new AuditEvent(
            ControlName, enforce ? AuditAction.Blocked : AuditAction.Detected, _policy.Mode.ToPolicyText(),
            status?.Tgid ?? offender.Pid, status?.PPid, status?.Uid, offender.Exe ?? "?", null, offender.Cmdline,
            $"process limit reached: {count} processes in the container, maxProcesses {_policy.MaxProcesses}; " +
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
