using System.Net;
using MicroEnforcer.Audit;
using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using MicroEnforcer.Procfs;
using MicroEnforcer.Seccomp;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Controls;

/// <summary>
/// Forensics (audit only): reports, as "observed" events, every process start (at its exec
/// event, once the kernel has loaded the new image: pid, ppid, uid, exe, the new argv, cwd), every
/// exit of a process seen starting (status and lifetime, see <see cref="ProcessExits"/>), every
/// connect (with its result), every send to a destination the process had not sent to in the
/// interval, every listen (and UDP bind to a named port), and every accepted inbound connection (which PID 1 performs itself to
/// learn the peer, see <see cref="InboundAccept"/>). Connections are aggregated
/// (<see cref="ConnectionAggregator{TFirst}"/>): per listener's local address (accepts) or per
/// process (connects and sends, listens), the first aggregateAfter of an interval are events of
/// their own, the rest one "connections" event per interval with the count and a sample of remotes.
/// It never objects to anything.
/// </summary>
internal sealed class Forensics : IExecControl, INetworkControl, ISyscallControl, IDisposable
{
    public const string ControlName = "forensics";

    private readonly AuditLog _audit;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly ConnectionAggregator<ProcessSnapshot> _aggregator;
    private readonly HashSet<(int Pid, string Destination)> _sentTo = [];   // this interval's, bounded like the aggregator
    private readonly ProcessExits _exits;
    private readonly NetworkWorkers _workers = new();

    public Forensics(ForensicsPolicy policy, AuditLog audit, ILogger log)
    {
        _audit = audit;
        _log = log;
        _aggregator = new ConnectionAggregator<ProcessSnapshot>(policy.AggregateAfter, policy.IntervalSeconds * 1000L, ProcessExits.NowMs);
        _exits = new ProcessExits(policy.MaxTrackedProcesses, Exited, EndIntervalIfDue);
    }

    public string Name => ControlName;

    public EnforcementMode Mode => EnforcementMode.Audit;

    public IReadOnlyList<SyscallKind> Kinds { get; } = [SyscallKind.Accept, SyscallKind.Accept4];

    // ---- process starts and exits ----

    /// <summary>
    /// Asked at the exec's entry and again at its exec event; reports at the exec event only (the
    /// target is the loaded image, <c>/proc/PID/exe</c>): the exec has happened, and the argv and
    /// cwd read are the new program's own. An exec refused by an enforcing control before this one
    /// is asked is not reported as a start.
    /// </summary>
    public ControlFinding? Evaluate(ExecTarget target)
    {
        if (target.Role == ExecRole.Program && target.ContentPath == $"/proc/{target.Pid}/exe")
            Started(target.Pid, target.CanonicalPath);
        return null;
    }

    /// <summary>The reaper reaped a child of PID 1 (the workload, an orphan): its status, for the exit event.</summary>
    public void Reaped(int pid, int status) => _exits.Reaped(pid, status);

    private void Started(int pid, string exe)
    {
        ProcStatus? status = ProcStatus.Read(pid);
        string? cmdline = ProcCmdline.Read(pid);
        string? cwd = NativePath.ReadLink($"/proc/{pid}/cwd");
        var process = new ProcessExits.Tracked(pid, ProcessExits.NowMs(), status?.PPid, status?.Uid, exe, cmdline);
        string? unwatched = _exits.Track(process);
        Write(new AuditEvent(ControlName, AuditAction.Observed, "audit", pid, status?.PPid, status?.Uid, exe, null, cmdline,
            unwatched is null ? "process started" : $"process started; {unwatched}", "execve")
        {
            Forensics = new ForensicsFacts("process-start") { Cwd = cwd },
        });
    }

    private void Exited(ProcessExits.Exit exit)
    {
        ProcessExits.Tracked process = exit.Process;
        (string how, int? code, int? signal) = exit.Status switch
        {
            null => ("unknown", (int?)null, (int?)null),
            int s when (s & 0x7f) == 0 => ("exited", (s >> 8) & 0xff, null),
            int s => ("killed", null, s & 0x7f),
        };
        string reason = how switch
        {
            "exited" => $"process exited with status {code}",
            "killed" => $"process killed by signal {signal}",
            _ => "process exited; its status could not be read",
        };
        Write(new AuditEvent(ControlName, AuditAction.Observed, "audit", process.Pid, process.PPid, process.Uid, process.Exe, null, process.Cmdline, reason, "exit")
        {
            Forensics = new ForensicsFacts("process-exit") { Exit = how, ExitCode = code, Signal = signal, LifetimeMs = exit.LifetimeMs },
        });
    }

    // ---- connections ----

    public SyscallVerdict Judge(NetworkCall call) => SyscallVerdict.Continue;

    public void Completed(NetworkCall call, long result)
    {
        switch (call.Operation)
        {
            case NetworkOperation.Listen:
                IPEndPoint? listening = call.Socket.Local() ?? call.Local;
                Observe("listen", "listen", call.Tid, call.Syscall, listening, null, call.Transport, result);
                break;
            // A UDP server does not listen(): its bind to a port it names is its listening socket.
            case NetworkOperation.Bind when call.Socket.Type == Libc.SOCK_DGRAM && call.Local is { Port: > 0 } && result == 0:
                Observe("listen", "listen", call.Tid, call.Syscall, call.Socket.Local() ?? call.Local, null, call.Transport, result);
                break;
            case NetworkOperation.Connect when call.Remote is { } remote:
                Observe("connect", "outbound", call.Tid, call.Syscall, result is 0 or -Libc.EINPROGRESS ? call.Socket.Local() : null, remote, call.Transport, result);
                break;
            case NetworkOperation.Send when call.ExplicitDestination && result >= 0:
                foreach (IPEndPoint destination in call.Destinations())
                {
                    if (FirstSendInInterval(call.Tid, destination))
                        Observe("send", "outbound", call.Tid, call.Syscall, null, destination, call.Transport, result);
                }
                break;
        }
    }

    // A datagram socket sends to a destination at most once per (process, destination) per interval in the log.
    private bool FirstSendInInterval(int tid, IPEndPoint destination)
    {
        lock (_lock)
        {
            if (_sentTo.Count >= ConnectionAggregator<ProcessSnapshot>.MaxKeys * 4)
                return false;   // bounded: further new destinations wait for the next interval
            return _sentTo.Add((ProcessOf(tid), Sockaddr.Text(destination)));
        }
    }

    public SyscallVerdict Decide(in SyscallCall call)
    {
        if (!call.CanAnswerLater)
            return SyscallVerdict.Continue;
        int flags = call.Kind == SyscallKind.Accept4 ? (int)call.Word(3) : 0;
        if ((flags & ~(InboundAccept.SOCK_NONBLOCK | InboundAccept.SOCK_CLOEXEC)) != 0)
            return SyscallVerdict.Continue;   // the kernel answers EINVAL
        // A socket PID 1 cannot take (no such descriptor, not a socket, no right to it) is the
        // kernel's to answer; a unix socket's accept goes on unobserved (no Internet peer).
        CallerSocket? listener = CallerSocket.Take(call.Tid, (int)call.Word(0), out _);
        if (listener is null)
            return SyscallVerdict.Continue;
        if (!listener.IsInternet || listener.Type != Libc.SOCK_STREAM)
        {
            listener.Dispose();
            return SyscallVerdict.Continue;
        }
        // Always on a worker, a non-blocking listener's too: O_NONBLOCK is the open file's, shared
        // with the caller, whose other thread could clear it between PID 1's look and its accept,
        // which would then wait on the notify loop (the network gate's connects, likewise).
        var accept = new InboundAccept(call, listener, call.Word(1), call.Word(2), flags);
        _workers.Run(() => Accept(accept));
        return SyscallVerdict.Deferred;
    }

    private void Accept(InboundAccept accept)
    {
        using (accept)
        {
            long? result;
            try
            {
                result = accept.Perform();
            }
            catch (Exception e)
            {
                Log.NotifyHandlerFailed(_log, accept.Call.Tid, e);
                accept.Call.AnswerLater(-Libc.ECONNABORTED);
                return;
            }
            if (result is long answered && accept.Remote is { } remote)
                Observe("accept", "inbound", accept.Call.Tid, accept.Call.Name, accept.Local, remote, accept.Listener.Transport, answered);
        }
    }

    /// <summary>One connection event, or counted into its key's aggregate: listeners by local address, the rest by process.</summary>
    private void Observe(string eventName, string kind, int tid, string syscall, IPEndPoint? local, IPEndPoint? remote, string protocol, long result)
    {
        string localText = local is null ? "?" : Sockaddr.Text(local);
        string remoteText = remote is null ? "" : Sockaddr.Text(remote);
        string key = kind == "inbound" ? localText : ProcessOf(tid).ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool individual;
        bool firstOfInterval;
        lock (_lock)
        {
            firstOfInterval = _aggregator.IsEmpty;
            // Inbound connections are summarised by remote address (who connected), outbound by remote endpoint (where to).
            string sampled = kind == "inbound" && remote is not null ? remote.Address.ToString() : remoteText;
            individual = _aggregator.Admit(kind, key, sampled, () => ProcessSnapshot.Take(tid));
        }
        if (firstOfInterval)
            _exits.Wake();   // so that the thread times this interval's end
        if (!individual)
            return;
        ProcessSnapshot who = ProcessSnapshot.Take(tid);
        string resultText = Describe(result);
        string reason = eventName switch
        {
            "listen" => $"listening on {protocol} {localText} ({resultText})",
            "accept" => $"accepted a {protocol} connection from {remoteText} on {localText}",
            "send" => $"sent {protocol} to {remoteText}",
            _ => $"connected over {protocol} to {remoteText} ({resultText})",
        };
        Write(new AuditEvent(ControlName, AuditAction.Observed, "audit", who.Pid, who.Status?.PPid, who.Status?.Uid, who.Exe, null, who.Cmdline, reason, syscall)
        {
            Local = local is null ? null : localText,
            Remote = remote is null ? null : remoteText,
            Protocol = protocol,
            Forensics = new ForensicsFacts(eventName) { Result = resultText },
        });
    }

    // Called by the exits thread on every wake: ends the aggregation interval if it is over; returns ms until the next end.
    private long EndIntervalIfDue()
    {
        IReadOnlyList<ConnectionAggregator<ProcessSnapshot>.Aggregate> aggregates;
        long untilEnd;
        lock (_lock)
        {
            aggregates = _aggregator.EndWindowIfDue();
            if (aggregates.Count > 0 || _aggregator.IsEmpty)
                _sentTo.Clear();
            untilEnd = _aggregator.IsEmpty ? 60_000 : _aggregator.WindowEnd - ProcessExits.NowMs();
        }
        foreach (ConnectionAggregator<ProcessSnapshot>.Aggregate aggregate in aggregates)
        {
            ProcessSnapshot first = aggregate.First;
            string what = aggregate.Kind switch
            {
                "inbound" => $"{aggregate.Count} more connections accepted on {aggregate.Key}",
                "listen" => $"{aggregate.Count} more listening sockets",
                _ => $"{aggregate.Count} more outbound connections and sends",
            };
            Write(new AuditEvent(ControlName, AuditAction.Observed, "audit", first.Pid, first.Status?.PPid, first.Status?.Uid, first.Exe, null, first.Cmdline,
                $"{what} in {aggregate.IntervalMs} ms, from {aggregate.DistinctRemotes} distinct remote(s)", aggregate.Kind switch
                {
                    "inbound" => "accept",
                    "listen" => "listen",
                    _ => "connect",
                })
            {
                Count = aggregate.Count,
                Local = aggregate.Kind == "inbound" ? aggregate.Key : null,
                Forensics = new ForensicsFacts("connections")
                {
                    IntervalMs = aggregate.IntervalMs, Remotes = aggregate.Remotes, DistinctRemotes = aggregate.DistinctRemotes,
                },
            });
        }
        return Math.Max(untilEnd, 1);
    }

    private static string Describe(long result) => result switch
    {
        >= 0 => "ok",
        -Libc.EINPROGRESS => "in progress",
        _ => Libc.DescribeErrno((int)-result),
    };

    private static int ProcessOf(int tid) => ProcStatus.Read(tid)?.Tgid ?? tid;

    private void Write(AuditEvent e) => _audit.Write(e);   // one write(2) per line, from any thread

    public void Dispose()
    {
        _exits.Dispose();   // the exits seen so far, the workload's among them
        // The interval's last aggregates: the workload has ended, nothing more will come.
        lock (_lock)
            _aggregator.EndNow();
        EndIntervalIfDue();
    }
}
