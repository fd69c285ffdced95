using System.Text;

namespace MicroEnforcer.Policy;

/// <summary>
/// Where audit events go (<c>spec.audit</c>): the sinks, how many events each network sink may
/// hold while it cannot deliver, and how long the events still queued at exit may take.
/// </summary>
/// <param name="QueueSize">Events each network sink holds while it cannot deliver; beyond, they are dropped and counted.</param>
/// <param name="FlushTimeout">At exit, how long the events still queued may take to be delivered.</param>
/// <param name="Sinks">Exactly the sinks events go to, in the policy's order.</param>
public sealed record AuditPolicy(int QueueSize, TimeSpan FlushTimeout, PolicyList<AuditSinkPolicy> Sinks)
{
    public const int DefaultQueueSize = 10_000;
    public const int MaxQueueSize = 1_000_000;
    public static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxFlushTimeout = TimeSpan.FromSeconds(60);

    /// <summary>No <c>spec.audit</c>: the JSON line on stderr, as before sinks existed.</summary>
    public static AuditPolicy Default { get; } = new(DefaultQueueSize, DefaultFlushTimeout, [StderrSinkPolicy.Instance]);

    /// <summary>"stderr, otlp http://collector:4318/v1/logs": the start-up log's list.</summary>
    public string Describe() => string.Join(", ", Sinks.Select(sink => sink.Describe()));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"QueueSize = {QueueSize}, FlushTimeout = {PolicyDuration.Format(FlushTimeout)}, Sinks = {Sinks}");
        return true;
    }
}
