using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// System Integrity Monitoring: reports the rare calls that change the machine rather than the
/// container's files (the clock, the host and domain names, the mounts, kernel modules, reboot,
/// swap, process accounting, kexec) with the process and the call's decoded arguments, and
/// always lets them go on: the kernel decides, and in a container most of them fail with EPERM
/// for want of a capability. PID 1 answers before the kernel runs the call and never learns its
/// result, so an event says the call was attempted, not that it happened.
///
/// adjtimex and clock_adjtime read the clock as often as they change it (ntp clients, chronyc):
/// their modes are in memory, out of the filter's reach, so every one is notified and only those
/// whose modes ask a change are reported.
///
/// A flood (a process looping on one of these calls) is bounded by <see cref="ReportBudget"/>:
/// per second, <see cref="PerCaller"/> events per thread and syscall and <see cref="PerWindow"/>
/// in all; the calls over that are written as one event per syscall at the end of the second,
/// with their count.
/// </summary>
internal sealed class SystemIntegrityMonitor : ISyscallControl, IDisposable
{
    public const string ControlName = "systemIntegrity";

    public const int PerCaller = 20;
    public const int PerWindow = 100;

    private readonly Outcome _outcome;
    private readonly ReportBudget _budget = new(PerCaller, PerWindow);
    private readonly Lock _lock = new();
    private readonly Timer _window;

    public SystemIntegrityMonitor(Outcome outcome)
    {
        _outcome = outcome;
        _window = new Timer(_ => EndWindow(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The kinds the control is handed; its definition notifies exactly these.</summary>
    public static IReadOnlyList<SyscallKind> MonitoredKinds { get; } =
    [
        SyscallKind.SetTimeOfDay, SyscallKind.Stime, SyscallKind.ClockSettime, SyscallKind.Adjtimex, SyscallKind.ClockAdjtime,
        SyscallKind.SetHostName, SyscallKind.SetDomainName,
        SyscallKind.Mount, SyscallKind.Umount, SyscallKind.PivotRoot, SyscallKind.MoveMount, SyscallKind.MountSetattr, SyscallKind.Fsconfig,
        SyscallKind.InitModule, SyscallKind.FinitModule, SyscallKind.DeleteModule,
        SyscallKind.Reboot, SyscallKind.SwapOn, SyscallKind.SwapOff, SyscallKind.Acct, SyscallKind.KexecLoad, SyscallKind.KexecFileLoad,
    ];

    public string Name => ControlName;

    public EnforcementMode Mode => EnforcementMode.Audit;

    public IReadOnlyList<SyscallKind> Kinds => MonitoredKinds;

    public SyscallVerdict Decide(in SyscallCall call)
    {
        if (call.Kind is SyscallKind.Adjtimex or SyscallKind.ClockAdjtime && SystemIntegrityCalls.IsClockRead(call))
            return SyscallVerdict.Continue;
        string syscall = call.Entry?.Name ?? call.Name;
        int tid = call.Tid;
        lock (_lock)
        {
            if (!_budget.TrySpend(tid, syscall))
            {
                _budget.HoldBack(syscall, () => ProcessSnapshot.Take(tid));
                return SyscallVerdict.Continue;
            }
        }
        SystemIntegrityCalls.Description description = SystemIntegrityCalls.Describe(call, syscall);
        ProcessSnapshot process = ProcessSnapshot.Take(tid);
        // What was read belongs to the caller only while it still waits in this call.
        if (!call.IsStillValid())
            return SyscallVerdict.Continue;
        _outcome.Reported(process, new ControlFinding(ControlName, $"{description.Text} attempted (reported only: the kernel decides the result)"),
            syscall, description.Path);
        return SyscallVerdict.Continue;
    }

    /// <summary>Writes one event per syscall for the calls held back in the last second.</summary>
    public void EndWindow()
    {
        IReadOnlyList<ReportBudget.HeldBack> held;
        lock (_lock)
            held = _budget.EndWindow();
        foreach (ReportBudget.HeldBack calls in held)
        {
            _outcome.Reported(calls.First, new ControlFinding(ControlName,
                $"{calls.Count} more {calls.Syscall} call(s) in the last second, not reported one by one " +
                $"(over {PerCaller} per thread or {PerWindow} in all); the first by this process (reported only: the kernel decides the result)"),
                calls.Syscall, count: calls.Count);
        }
    }

    public void Dispose()
    {
        _window.Dispose();
        EndWindow();
    }
}
