namespace MicroEnforcer.Controls;

/// <summary>
/// A control that judges the workload's network calls (connect, bind, listen, sends) on
/// Internet sockets. It never sees the caller's registers or memory: the
/// <see cref="NetworkGate"/> reads each call once into a <see cref="NetworkCall"/>, asks every
/// network control, and PID 1 performs the call itself with what was judged.
/// </summary>
internal interface INetworkControl : IControl
{
    /// <summary>
    /// Before the call: <see cref="SyscallVerdict.Continue"/> or an objection
    /// (<see cref="SyscallVerdict.Object"/>), which refuses it in enforce mode. A control may also
    /// send a connect elsewhere (<see cref="NetworkCall.RedirectTo"/>). On the notify loop's thread.
    /// </summary>
    SyscallVerdict Judge(NetworkCall call);

    /// <summary>
    /// After PID 1 performed it, before the caller is answered (its /proc is still there):
    /// <paramref name="result"/> is what the caller gets (a value or -errno). On the notify loop's
    /// thread or a <see cref="NetworkWorkers"/> thread: observers lock, and keep it short.
    /// </summary>
    void Completed(NetworkCall call, long result);
}
