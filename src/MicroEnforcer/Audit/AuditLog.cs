using MicroEnforcer.Logging;

namespace MicroEnforcer.Audit;

/// <summary>
/// Writes audit events as one JSON object per line on stderr, where container runtimes collect
/// them (`podman logs`, CloudWatch, a node's log agent). Each event is converted once to the
/// schema (<see cref="AuditSchema"/>); the line is <see cref="JsonLineFormat"/>, whose field names
/// are a stable format.
/// </summary>
internal sealed class AuditLog
{
    private readonly Action<ReadOnlyMemory<byte>> _sink;

    public AuditLog() : this(line => StandardError.WriteLine(line.Span))
    {
    }

    public AuditLog(Action<ReadOnlyMemory<byte>> sink) => _sink = sink;

    public void Write(AuditEvent e) => _sink(Serialize(e));

    public static ReadOnlyMemory<byte> Serialize(AuditEvent e) => JsonLineFormat.Serialize(AuditSchema.ToProto(e));
}
