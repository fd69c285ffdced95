using System.Net;
using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// The one syscall control for the network calls (connect, bind, listen, sendto, sendmsg,
/// sendmmsg, and i386's socketcall of them), made when any <see cref="INetworkControl"/> is on.
/// It reads each call once (<see cref="NetworkCallReader"/>), asks every network control, and
/// then PID 1 performs the call itself with what was judged (<see cref="NetworkPerformer"/>) and
/// answers with its result: a CONTINUE after a check would let the kernel read the sockaddr again,
/// after a second thread rewrote it. Calls that may wait are performed on a worker thread and
/// answered from there (<see cref="SyscallVerdict.Deferred"/>).
///
/// Calls on sockets that are not Internet sockets (unix, netlink, packet) go on (CONTINUE):
/// performing a unix socket's connect in PID 1 would give its peer PID 1's credentials
/// (SO_PEERCRED). docs/limits.md says what that leaves open.
/// </summary>
internal sealed class NetworkGate : ISyscallControl
{
    private const int SHUT_RD = 0;
    private const long SYS_shutdown = 48;

    /// <summary>
    /// MSG_NOSIGNAL | MSG_PROBE: the flags of the launch shim's and <c>microenforcer exec</c>'s
    /// sendmsg of the filter's own listener, which must not be notified (nobody could answer it
    /// yet). A workload's sendmsg with exactly these flags goes unjudged, and can do nothing with
    /// them: an Internet datagram or raw socket sends nothing under MSG_PROBE, and a TCP socket
    /// sends only to the peer its (judged) connect chose. Native/launch_shim.c says the same.
    /// </summary>
    public const uint HandOffFlags = 0x4000 | 0x10;

    private readonly INetworkControl[] _controls;
    private readonly Outcome _outcome;
    private readonly ILogger _log;
    private readonly NetworkWorkers _workers;

    /// <param name="workers">PID 1's one pool of network threads, which outlives a gate a policy reload replaces.</param>
    public NetworkGate(IEnumerable<INetworkControl> controls, Outcome outcome, NetworkWorkers workers, ILogger log)
    {
        _workers = workers;
        _controls = [.. controls];
        _outcome = outcome;
        _log = log;
        Mode = _controls.Any(control => control.Mode == EnforcementMode.Enforce) ? EnforcementMode.Enforce : EnforcementMode.Audit;
    }

    public string Name => "network";

    /// <summary>Enforce when any network control enforces: a call that cannot be judged is then refused.</summary>
    public EnforcementMode Mode { get; }

    public IReadOnlyList<SyscallKind> Kinds { get; } =
        [SyscallKind.Connect, SyscallKind.SocketCall, SyscallKind.Bind, SyscallKind.Listen, SyscallKind.SendTo, SyscallKind.SendMsg, SyscallKind.SendMmsg];

    /// <summary>The filter rules every network control needs: each entry point where a socket meets an address.</summary>
    public static IEnumerable<FilterRule> Rules(bool listens, bool sendsWithoutAddress) =>
    [
        FilterRule.Notify(SyscallTable.Connect),
        FilterRule.Notify(SyscallTable.Bind),
        // sendto names its destination in a register: one without it (send) goes to the connected
        // peer, which its connect was judged for, unless the payload itself must be read (DNS).
        sendsWithoutAddress ? FilterRule.Notify(SyscallTable.SendTo) : FilterRule.Notify(SyscallTable.SendTo, ArgumentTest.NonZero(4)),
        FilterRule.Notify(SyscallTable.SendMsg, ArgumentTest.NotEqualTo(2, HandOffFlags)),
        FilterRule.Notify(SyscallTable.SendMmsg),
        // i386's socketcall carries every socket call; the gate takes those it judges and lets the rest go on.
        FilterRule.Notify(SyscallTable.SocketCall),
        .. listens ? [FilterRule.Notify(SyscallTable.Listen)] : Array.Empty<FilterRule>(),
    ];

    public SyscallVerdict Decide(in SyscallCall call)
    {
        NetworkCall? network = NetworkCallReader.TryRead(call, out int answer, out string? why);
        if (network is null)
        {
            if (answer == NetworkCallReader.Undecidable)
                return Undecidable(call, why!);
            return answer == 0 ? SyscallVerdict.Continue : SyscallVerdict.Answered(answer);
        }
        bool deferred = false;
        try
        {
            if (!call.IsStillValid())
                return SyscallVerdict.Refused(Libc.EACCES);   // the caller is gone; what was read may be another's
            if (JudgeAll(call, network) is int refusal)
                return SyscallVerdict.Refused(refusal);
            if (NetworkPerformer.MayBlock(network) && call.CanAnswerLater)
            {
                SyscallCall later = call;
                deferred = true;
                _workers.Run(() => PerformLater(later, network));
                return SyscallVerdict.Deferred;
            }
            long result = Perform(call, network);
            return SyscallVerdict.Answered(result);
        }
        finally
        {
            if (!deferred)
                network.Dispose();
        }
    }

    // The first enforcing objection's errno (after reporting it), or null: every control agrees, or only audits.
    private int? JudgeAll(in SyscallCall call, NetworkCall network)
    {
        foreach (INetworkControl control in _controls)
        {
            SyscallVerdict verdict;
            try
            {
                verdict = control.Judge(network);
            }
            catch (Exception e)
            {
                Log.NotifyHandlerFailed(_log, call.Tid, e);
                verdict = SyscallVerdict.Object(new ControlFinding(control.Name, $"could not judge the {network.Syscall}: {e.Message}"), Libc.EACCES);
            }
            if (verdict.Kind != SyscallVerdictKind.Objection)
                continue;
            string exe = NativePath.ReadLink($"/proc/{call.Tid}/exe") ?? "?";
            int answer = _outcome.AtCall(call.Tid, verdict.Finding!, control.Mode, verdict.Errno, network.Syscall, exe);
            if (answer != 0)
                return -answer;
        }
        return null;
    }

    private long Perform(in SyscallCall call, NetworkCall network)
    {
        bool unbound = network.Operation == NetworkOperation.Listen && network.Local is null or { Port: 0 };
        long result = NetworkPerformer.Perform(network);
        if (unbound && result == 0 && network.Socket.Local() is { } bound)
        {
            // listen() on an unbound socket binds it to a port of the kernel's choosing: judged now, and undone if refused.
            var asBound = new NetworkCall
            {
                Operation = NetworkOperation.Listen, Syscall = "listen", Tid = network.Tid, Socket = network.Socket, Local = bound, Kind = network.Kind,
            };
            if (JudgeAll(call, asBound) is int refusal)
            {
                Libc.Raw(SYS_shutdown, network.Socket.Fd, SHUT_RD);   // a listener shut down for reading stops listening (tcp_disconnect)
                result = -refusal;
            }
        }
        Completed(network, result);
        return result;
    }

    private void PerformLater(SyscallCall call, NetworkCall network)
    {
        try
        {
            long result;
            try
            {
                result = NetworkPerformer.Perform(network);
            }
            catch (Exception e)
            {
                Log.NotifyHandlerFailed(_log, call.Tid, e);
                result = -Libc.EACCES;
            }
            // Observers first, as on the loop: the caller is still parked, so its /proc is still there to read.
            Completed(network, result);
            call.AnswerLater(result);
        }
        finally
        {
            network.Dispose();
        }
    }

    private void Completed(NetworkCall network, long result)
    {
        foreach (INetworkControl control in _controls)
        {
            try
            {
                control.Completed(network, result);
            }
            catch (Exception e)
            {
                Log.NotifyHandlerFailed(_log, network.Tid, e);
            }
        }
    }

    // PID 1 could not take the caller's socket (it lacks the ptrace right over it): refused when a
    // network control enforces, reported either way, under the first control that enforces.
    private SyscallVerdict Undecidable(in SyscallCall call, string why)
    {
        INetworkControl control = _controls.FirstOrDefault(c => c.Mode == EnforcementMode.Enforce) ?? _controls[0];
        string exe = NativePath.ReadLink($"/proc/{call.Tid}/exe") ?? "?";
        int answer = _outcome.AtCall(call.Tid, new ControlFinding(control.Name, $"the network call cannot be judged: {why}"), control.Mode,
            Libc.EACCES, call.Name, exe);
        return answer != 0 ? SyscallVerdict.Refused(-answer) : SyscallVerdict.Continue;
    }
}
