using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// Falco's JSON output (<c>type: falco</c>) POSTed to falcosidekick: one event per request, as
/// Falco itself sends them and as falcosidekick's <c>POST /</c> reads them.
/// </summary>
/// <param name="encode">The event's Falco JSON (FalcoFormat).</param>
internal sealed class FalcoSink(HttpSinkPolicy policy, int queueSize, Func<Event, byte[]> encode,
    Func<NetworkSink, long, Event> dropped, ILogger log) : NetworkSink(queueSize, dropped, log)
{
    private readonly HttpSinkClient _client = new(policy);

    public override string Name => policy.Describe();

    protected override string Type => HttpSinkPolicy.FalcoType;

    protected override int MaxBatch => 1;

    protected override void Deliver(IReadOnlyList<Event> batch, CancellationToken cancel)
    {
        foreach (Event e in batch)
            _client.Post(encode(e), "application/json", null, cancel);
    }

    public override void Dispose()
    {
        base.Dispose();
        _client.Dispose();
    }
}
