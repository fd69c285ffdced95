using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// Where audit events go: the JSON line on stderr, or a receiver over the network. The audit log
/// converts each event once and hands the same <see cref="Event"/> to every sink.
/// </summary>
internal abstract class AuditSink : IDisposable
{
    /// <summary>"otlp http://127.0.0.1:4318/v1/logs", as the log and the drop event name it.</summary>
    public abstract string Name { get; }

    /// <summary>Takes <paramref name="e"/>; returns at once (a network sink only queues it).</summary>
    public abstract void Write(Event e);

    /// <summary>Starts what delivers in the background, if anything.</summary>
    public virtual void Start()
    {
    }

    /// <summary>
    /// Delivers what is still queued, by <paramref name="deadline"/> at the latest, and stops;
    /// the events left undelivered.
    /// </summary>
    public virtual long Flush(DateTime deadline) => 0;

    public virtual void Dispose()
    {
    }
}
