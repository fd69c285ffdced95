using System.Text;
using MicroEnforcer.Audit;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// The dispatch of notified calls to the syscall controls that decide their kind: registry
/// order, the first refusal stands, an audit-mode objection never hides an enforced one, a
/// control that throws is reported under its own name, and a caller that is gone is not reported.
/// The calls are this test process's own (its pid), so the events read a real /proc.
/// </summary>
public sealed class SyscallDispatchTests
{
    private const int EPERM = 1, EACCES = 13, EAGAIN = 11;

    private readonly List<string> _events = [];
    private readonly List<string> _asked = [];

    private SyscallDispatch Dispatch(params ISyscallControl[] controls) =>
        new(controls, new Outcome(new AuditLog(line => _events.Add(Encoding.UTF8.GetString(line.Span)))), NullLogger.Instance);

    private static SyscallCall Call(SyscallKind kind, bool stillValid = true)
    {
        var data = new Libc.seccomp_data { nr = 42 };
        return new SyscallCall(Environment.ProcessId, kind, data, new Validity(stillValid), id: 7);
    }

    [Fact]
    public void NoObjectionContinues()
    {
        var dispatch = Dispatch(Control("a", EnforcementMode.Enforce, SyscallVerdict.Continue));

        Assert.Equal(0, dispatch.Decide(Call(SyscallKind.Connect)));
        Assert.Empty(_events);
    }

    [Fact]
    public void AKindNoControlDecides_IsRefused_AsABug()
    {
        var dispatch = Dispatch(Control("a", EnforcementMode.Enforce, SyscallVerdict.Continue));

        Assert.Equal(-EPERM, dispatch.Decide(Call(SyscallKind.Bind)));
    }

    [Fact]
    public void AKindAReloadRetired_GoesOn_TheFilterStillNotifiesIt()
    {
        // A reload turned off the only control of connect; the installed filter cannot forget it.
        var dispatch = new SyscallDispatch([Control("a", EnforcementMode.Enforce, SyscallVerdict.Continue, SyscallKind.Bind)],
            new Outcome(new AuditLog(line => _events.Add(Encoding.UTF8.GetString(line.Span)))), NullLogger.Instance, retired: [SyscallKind.Connect, SyscallKind.Bind]);

        Assert.Equal(0, dispatch.Decide(Call(SyscallKind.Connect)));
        Assert.Equal([SyscallKind.Connect], dispatch.RetiredKinds);   // bind is decided: not retired
        Assert.Empty(_events);
    }

    [Fact]
    public void AnEnforcedObjectionRefusesWithItsErrnoAndIsReportedBlocked()
    {
        var dispatch = Dispatch(Control("a", EnforcementMode.Enforce, Objection("a", EPERM)));

        Assert.Equal(-EPERM, dispatch.Decide(Call(SyscallKind.Connect)));
        string e = Assert.Single(_events);
        Assert.Contains("\"control\":\"a\"", e);
        Assert.Contains("\"action\":\"blocked\"", e);
        Assert.Contains("\"syscall\":\"connect\"", e);
        Assert.Contains($"\"pid\":{Environment.ProcessId}", e);
    }

    [Fact]
    public void AnAuditObjectionIsReportedAndTheNextControlIsAsked()
    {
        var dispatch = Dispatch(
            Control("audits", EnforcementMode.Audit, Objection("audits", EPERM)),
            Control("enforces", EnforcementMode.Enforce, Objection("enforces", EACCES)));

        Assert.Equal(-EACCES, dispatch.Decide(Call(SyscallKind.Connect)));
        Assert.Equal(["audits", "enforces"], _asked);
        Assert.Equal(2, _events.Count);
        Assert.Contains("\"action\":\"detected\"", _events[0]);
        Assert.Contains("\"action\":\"blocked\"", _events[1]);
    }

    [Fact]
    public void TheFirstRefusalStandsAndLaterControlsAreNotAsked()
    {
        var dispatch = Dispatch(
            Control("first", EnforcementMode.Enforce, Objection("first", EPERM)),
            Control("second", EnforcementMode.Enforce, Objection("second", EACCES)));

        Assert.Equal(-EPERM, dispatch.Decide(Call(SyscallKind.Connect)));
        Assert.Equal(["first"], _asked);
    }

    [Fact]
    public void OnlyTheControlsOfTheCallsKindAreAsked()
    {
        var dispatch = Dispatch(
            Control("forks", EnforcementMode.Enforce, SyscallVerdict.Refused(EAGAIN), SyscallKind.Fork),
            Control("connects", EnforcementMode.Enforce, SyscallVerdict.Continue, SyscallKind.Connect));

        Assert.Equal(0, dispatch.Decide(Call(SyscallKind.Connect)));
        Assert.Equal(["connects"], _asked);
        Assert.Equal(-EAGAIN, dispatch.Decide(Call(SyscallKind.Fork)));
    }

    [Fact]
    public void AKindNoControlDecidesIsRefused()
    {
        // The filter sends nothing else to PID 1: a kind without a control is a bug, failed closed.
        var dispatch = Dispatch(Control("a", EnforcementMode.Audit, SyscallVerdict.Continue, SyscallKind.Fork));

        Assert.Equal(-EPERM, dispatch.Decide(Call(SyscallKind.Connect)));
    }

    [Fact]
    public void ARefusalAControlReportedItselfIsNotReportedAgain()
    {
        var dispatch = Dispatch(Control("forkGuard", EnforcementMode.Enforce, SyscallVerdict.Refused(EAGAIN), SyscallKind.Fork));

        Assert.Equal(-EAGAIN, dispatch.Decide(Call(SyscallKind.Fork)));
        Assert.Empty(_events);
    }

    [Fact]
    public void AHoldEndsTheDispatch()
    {
        var dispatch = Dispatch(
            Control("drift", EnforcementMode.Enforce, SyscallVerdict.HoldUntilHashed, SyscallKind.SetTimes),
            Control("other", EnforcementMode.Enforce, Objection("other", EPERM), SyscallKind.SetTimes));

        Assert.Equal(SyscallDispatch.HoldUntilHashed, dispatch.Decide(Call(SyscallKind.SetTimes)));
        Assert.Equal(["drift"], _asked);
    }

    [Fact]
    public void ACallerThatIsGoneIsNotReported()
    {
        // What the control read may belong to a recycled pid: no answer, no event.
        var dispatch = Dispatch(Control("a", EnforcementMode.Enforce, Objection("a", EPERM)));

        Assert.Null(dispatch.Decide(Call(SyscallKind.Connect, stillValid: false)));
        Assert.Empty(_events);
    }

    [Theory]
    [InlineData(EnforcementMode.Enforce, -EACCES, "blocked")]
    [InlineData(EnforcementMode.Audit, 0, "detected")]
    public void AControlThatThrowsIsReportedUnderItsOwnNameAndFailsClosedOnlyIfItEnforces(EnforcementMode mode, int answer, string action)
    {
        var dispatch = Dispatch(new Throwing("reverseShell", mode));

        Assert.Equal(answer, dispatch.Decide(Call(SyscallKind.Connect)));
        string e = Assert.Single(_events);
        Assert.Contains("\"control\":\"reverseShell\"", e);
        Assert.Contains($"\"action\":\"{action}\"", e);
        Assert.Contains("could not decide the call: /proc was unreadable", e);
    }

    private static SyscallVerdict Objection(string control, int errno) =>
        SyscallVerdict.Object(new ControlFinding(control, "test objection"), errno);

    [Fact]
    public void APerformedCallIsAnsweredWithItsValueAndNoLaterControlIsAsked()
    {
        var dispatch = Dispatch(
            Control("performs", EnforcementMode.Enforce, SyscallVerdict.Answered(0)),
            Control("later", EnforcementMode.Enforce, SyscallVerdict.Object(new ControlFinding("later", "no"), EPERM)));

        Assert.Equal(SyscallDispatch.Performed, dispatch.Decide(Call(SyscallKind.Connect), out long value));
        Assert.Equal(0, value);
        Assert.Equal(["performs"], _asked);
        Assert.Empty(_events);
    }

    [Fact]
    public void APerformedCallThatFailedAnswersItsErrno()
    {
        var dispatch = Dispatch(Control("performs", EnforcementMode.Enforce, SyscallVerdict.Answered(-EACCES)));

        Assert.Equal(-EACCES, dispatch.Decide(Call(SyscallKind.Connect)));
    }

    private Scripted Control(string name, EnforcementMode mode, SyscallVerdict verdict, SyscallKind kind = SyscallKind.Connect) =>
        new(name, mode, verdict, kind, _asked);

    private sealed class Scripted(string name, EnforcementMode mode, SyscallVerdict verdict, SyscallKind kind, List<string> asked) : ISyscallControl
    {
        public string Name => name;

        public EnforcementMode Mode => mode;

        public IReadOnlyList<SyscallKind> Kinds => [kind];

        public SyscallVerdict Decide(in SyscallCall call)
        {
            asked.Add(name);
            return verdict;
        }
    }

    private sealed class Throwing(string name, EnforcementMode mode) : ISyscallControl
    {
        public string Name => name;

        public EnforcementMode Mode => mode;

        public IReadOnlyList<SyscallKind> Kinds => [SyscallKind.Connect];

        public SyscallVerdict Decide(in SyscallCall call) => throw new IOException("/proc was unreadable");
    }

    private sealed class Validity(bool valid) : INotificationValidity
    {
        public bool IsStillValid(ulong id) => valid;
    }
}
