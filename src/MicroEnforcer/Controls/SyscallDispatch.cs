using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Hands a notified call (other than an exec) to every control that decides its kind, in
/// registry order, and gives the answer. The first refusal stands: an enforcing control's
/// objection ends the call; an audit-mode objection is reported and the next control is asked, so
/// a control in audit mode never hides an enforced refusal by another.
/// A control that throws could not decide: that is reported under its name, and the call is
/// refused if it enforces (fail closed), let through if it audits.
/// </summary>
internal sealed class SyscallDispatch
{
    /// <summary>The answer that is no answer yet: the call waits until the baseline is hashed (see <see cref="SyscallVerdict.HoldUntilHashed"/>).</summary>
    public const int HoldUntilHashed = int.MinValue + 1;

    /// <summary>The answer is a value with no CONTINUE: a control performed the call (see <see cref="SyscallVerdict.Answered"/>); the value is the out parameter.</summary>
    public const int Performed = int.MinValue + 2;

    /// <summary>No answer from the loop: a control answers the call itself, later (see <see cref="SyscallVerdict.Deferred"/>).</summary>
    public const int Deferred = int.MinValue + 3;

    private readonly ISyscallControl[][] _byKind;
    private readonly Outcome _outcome;
    private readonly ILogger _log;

    /// <param name="retired">
    /// Kinds the installed filter notifies that no control of this generation decides: a policy
    /// reload turned their controls off (the filter cannot change), so they go on.
    /// </param>
    public SyscallDispatch(IEnumerable<ISyscallControl> controls, Outcome outcome, ILogger log, IEnumerable<SyscallKind>? retired = null)
    {
        _byKind = new ISyscallControl[Enum.GetValues<SyscallKind>().Length][];
        for (int kind = 0; kind < _byKind.Length; kind++)
            _byKind[kind] = [.. controls.Where(control => control.Kinds.Contains((SyscallKind)kind))];
        Kinds = [.. Enumerable.Range(0, _byKind.Length).Where(kind => _byKind[kind].Length > 0).Select(kind => (SyscallKind)kind)];
        RetiredKinds = [.. (retired ?? []).Except(Kinds)];
        _outcome = outcome;
        _log = log;
    }

    /// <summary>The kinds some control of this dispatch decides.</summary>
    public IReadOnlyList<SyscallKind> Kinds { get; }

    /// <summary>The kinds the filter notifies that no control decides any more (see the constructor).</summary>
    public IReadOnlyList<SyscallKind> RetiredKinds { get; }

    /// <summary>As below, for calls no control performs itself.</summary>
    public int? Decide(in SyscallCall call) => Decide(call, out _);

    /// <summary>Returns 0 (CONTINUE), a negative errno, <see cref="HoldUntilHashed"/>, <see cref="Performed"/> (with <paramref name="value"/>), or null when the caller is gone.</summary>
    public int? Decide(in SyscallCall call, out long value)
    {
        value = 0;
        ISyscallControl[] controls = _byKind[(int)call.Kind];
        if (controls.Length == 0)
            // The filter sends nothing else here; anything else is a bug, and is refused.
            return RetiredKinds.Contains(call.Kind) ? 0 : -Libc.EPERM;
        foreach (ISyscallControl control in controls)
        {
            SyscallVerdict verdict;
            try
            {
                verdict = control.Decide(call);
            }
            catch (Exception e)
            {
                Log.NotifyHandlerFailed(_log, call.Tid, e);
                verdict = SyscallVerdict.Object(new ControlFinding(control.Name, $"could not decide the call: {e.Message}"), Libc.EACCES);
            }
            switch (verdict.Kind)
            {
                case SyscallVerdictKind.HoldUntilHashed:
                    return HoldUntilHashed;
                case SyscallVerdictKind.Deferred:
                    return Deferred;
                case SyscallVerdictKind.Refused:
                    return -verdict.Errno;
                case SyscallVerdictKind.Answered when verdict.Result < 0:
                    return (int)verdict.Result;
                case SyscallVerdictKind.Answered:
                    value = verdict.Result;
                    return Performed;
                case SyscallVerdictKind.Objection:
                    if (!call.IsStillValid())
                        return null;   // what was read may belong to a recycled pid
                    string exe = NativePath.ReadLink($"/proc/{call.Tid}/exe") ?? "?";
                    int answer = _outcome.AtCall(call.Tid, verdict.Finding!, control.Mode, verdict.Errno, call.Name, exe, verdict.Finding!.File);
                    if (answer != 0)
                        return answer;
                    break;
            }
        }
        return 0;
    }
}
