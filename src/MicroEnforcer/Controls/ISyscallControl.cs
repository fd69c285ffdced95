using MicroEnforcer.Seccomp;

namespace MicroEnforcer.Controls;

/// <summary>
/// A control that decides notified syscalls at entry (other than execs, which every
/// <see cref="IExecControl"/> judges together). The calls reach PID 1 through the rules its
/// definition gives the filter (<see cref="ControlDefinition.Rules"/>); <see cref="Kinds"/> are
/// the ones it is handed. Several controls may decide one kind: each is asked, in registry order
/// (see <see cref="SyscallDispatch"/>).
/// </summary>
internal interface ISyscallControl : IControl
{
    IReadOnlyList<SyscallKind> Kinds { get; }

    /// <summary>
    /// Called on the notify loop's thread, one call at a time. Anything read from the caller's
    /// memory or /proc may belong to a recycled pid until <see cref="SyscallCall.IsStillValid"/>
    /// says otherwise: the dispatch checks it before a finding is reported.
    /// </summary>
    SyscallVerdict Decide(in SyscallCall call);
}
