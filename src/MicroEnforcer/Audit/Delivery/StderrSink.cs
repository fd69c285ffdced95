using MicroEnforcer.Audit.Schema.V1;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// The JSON line (<see cref="JsonLineFormat"/>), written synchronously as it always was: to fd 2
/// where the container runtime collects it, or to the line writer a test gives.
/// </summary>
internal sealed class StderrSink(Action<ReadOnlyMemory<byte>> writeLine) : AuditSink
{
    public override string Name => "stderr";

    public override void Write(Event e) => writeLine(JsonLineFormat.Serialize(e));
}
