using MicroEnforcer.Audit.Delivery;
using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Interop;
using MicroEnforcer.Logging;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit;

/// <summary>
/// Hands audit events to the sinks of the policy's <c>spec.audit</c>: the JSON line on stderr,
/// where container runtimes collect it (`podman logs`, CloudWatch, a node's log agent), and any
/// OTLP, Falco and syslog receivers. Each event is converted once to the schema
/// (<see cref="AuditSchema"/>) and the same <see cref="Event"/> goes to every sink; stderr writes
/// its line (<see cref="JsonLineFormat"/>) at once, a network sink only queues it for its own
/// sender thread, so <see cref="Write"/> never waits for a receiver.
/// </summary>
internal sealed class AuditLog
{
    private readonly AuditSink[] _sinks;
    private readonly TimeSpan _flushTimeout;
    private readonly ILogger? _log;

    /// <summary>The JSON line on stderr only.</summary>
    public AuditLog() : this(line => StandardError.WriteLine(line.Span))
    {
    }

    /// <summary>The JSON line to <paramref name="sink"/> only (tests read the lines).</summary>
    public AuditLog(Action<ReadOnlyMemory<byte>> sink) => _sinks = [new StderrSink(sink)];

    private AuditLog(AuditSink[] sinks, TimeSpan flushTimeout, ILogger log) =>
        (_sinks, _flushTimeout, _log) = (sinks, flushTimeout, log);

    /// <summary>
    /// The audit log of <paramref name="policy"/> plus the sinks the environment adds
    /// (<see cref="AuditEnvironment"/>), its senders started; null when a variable's value is bad
    /// (each error logged, naming the variable), which refuses the start.
    /// </summary>
    public static AuditLog? Start(AuditPolicy policy, Func<string, string?> environment, ILogger log) =>
        Start(policy, environment, line => StandardError.WriteLine(line.Span), log);

    internal static AuditLog? Start(AuditPolicy policy, Func<string, string?> environment, Action<ReadOnlyMemory<byte>> stderr, ILogger log)
    {
        if (AuditEnvironment.Apply(policy, environment, out IReadOnlyList<string> errors) is not { } withEnvironment)
        {
            foreach (string error in errors)
                Log.AuditEnvironmentRefused(log, error);
            return null;
        }
        AuditSink[] sinks = [];
        AuditLog audit = null!;
        sinks = AuditSinks.Create(withEnvironment, stderr, new SinkResource(environment, log),
            (sink, count) => audit.Dropped(sink, count), log);
        audit = new AuditLog(sinks, withEnvironment.FlushTimeout, log);
        foreach (AuditSink sink in sinks)
            sink.Start();
        return audit;
    }

    /// <summary>The sinks, in the policy's order (tests).</summary>
    internal IReadOnlyList<AuditSink> Sinks => _sinks;

    public void Write(AuditEvent e)
    {
        Event proto = AuditSchema.ToProto(e);
        foreach (AuditSink sink in _sinks)
            sink.Write(proto);
    }

    public static ReadOnlyMemory<byte> Serialize(AuditEvent e) => JsonLineFormat.Serialize(AuditSchema.ToProto(e));

    /// <summary>
    /// The SinkDrop event of <paramref name="count"/> events <paramref name="sink"/> dropped: written
    /// to every other sink now, and returned for <paramref name="sink"/> to send ahead of its queue.
    /// </summary>
    private Event Dropped(NetworkSink sink, long count)
    {
        var e = new AuditEvent("audit", AuditAction.Observed, "audit", Libc.GetPid(), null, null, string.Empty, null, null,
            $"dropped {count} events: the sink's queue was full", string.Empty)
        {
            Dropped = new SinkDropFacts(sink.Name, count),
        };
        Event proto = AuditSchema.ToProto(e);
        foreach (AuditSink other in _sinks)
        {
            if (other != sink)
                other.Write(proto);
        }
        return proto;
    }

    /// <summary>
    /// At exit: gives the network sinks until the policy's flushTimeout to deliver what they
    /// hold, then logs, per sink, that everything was delivered or how many events were not.
    /// </summary>
    public void Flush() => Flush(_flushTimeout);

    public void Flush(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        foreach (AuditSink sink in _sinks)
        {
            long undelivered = sink.Flush(deadline);
            if (sink is not NetworkSink network || _log is null)
                continue;
            if (undelivered == 0)
                Log.AuditFlushed(_log, sink.Name, network.Delivered);
            else
                Log.AuditFlushIncomplete(_log, sink.Name, undelivered, PolicyDuration.Format(timeout), network.Delivered);
            sink.Dispose();
        }
    }
}
