namespace MicroEnforcer.Audit;

/// <summary>
/// Events an audit sink dropped because its queue was full (the event's "dropped" object; control
/// "audit", action observed), sent once the sink delivers again.
/// </summary>
/// <param name="Sink">The sink's type: otlp, falco, syslog.</param>
/// <param name="Count">Exactly how many events were dropped since it last delivered.</param>
internal sealed record SinkDropFacts(string Sink, long Count);
