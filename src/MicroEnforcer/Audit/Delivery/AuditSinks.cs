using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// Makes the sinks of an <see cref="AuditPolicy"/>, each with its output format produced from the
/// schema's <see cref="Event"/> (OtlpLogFormat, FalcoFormat, SyslogFormat), and the resource the
/// network sinks describe the enforcer and its workload with.
/// </summary>
internal static class AuditSinks
{
    /// <param name="stderr">Where the stderr sink writes its lines.</param>
    /// <param name="dropped">Makes the SinkDrop event of a sink's count and writes it to the other sinks.</param>
    public static AuditSink[] Create(AuditPolicy policy, Action<ReadOnlyMemory<byte>> stderr, SinkResource resource,
        Func<NetworkSink, long, Event> dropped, ILogger log)
    {
        var sinks = new AuditSink[policy.Sinks.Count];
        for (int i = 0; i < sinks.Length; i++)
        {
            sinks[i] = policy.Sinks[i] switch
            {
                StderrSinkPolicy => new StderrSink(stderr),
                HttpSinkPolicy { Type: HttpSinkPolicy.OtlpType } otlp => new OtlpSink(otlp, policy.QueueSize,
                    batch => OtlpLogFormat.Serialize(resource.Value, batch, DateTimeOffset.UtcNow), dropped, log),
                HttpSinkPolicy falco => new FalcoSink(falco, policy.QueueSize,
                    e => FalcoFormat.Serialize(e, resource.Value), dropped, log),
                SyslogSinkPolicy syslog => new SyslogSink(syslog, policy.QueueSize,
                    e => SyslogFormat.Serialize(e, resource.Value, syslog.Facility, syslog.AppName), dropped, log),
                var other => throw new ArgumentException($"no sink for {other}", nameof(policy)),
            };
        }
        return sinks;
    }
}
