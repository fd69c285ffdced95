using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// OTLP/HTTP logs (<c>type: otlp</c>): up to <see cref="BatchSize"/> events per request, one
/// LogRecord each, as a binary protobuf ExportLogsServiceRequest, gzip-compressed, POSTed to the
/// collector's endpoint (/v1/logs).
/// </summary>
/// <param name="encode">The ExportLogsServiceRequest of a batch, serialized (OtlpLogFormat).</param>
internal sealed class OtlpSink(HttpSinkPolicy policy, int queueSize, Func<IReadOnlyList<Event>, byte[]> encode,
    Func<NetworkSink, long, Event> dropped, ILogger log) : NetworkSink(queueSize, dropped, log)
{
    /// <summary>Events per request: large enough to drain a queue of 10,000 in 20 requests, small enough for any collector's limit.</summary>
    public const int BatchSize = 512;

    private readonly HttpSinkClient _client = new(policy);

    public override string Name => policy.Describe();

    protected override string Type => HttpSinkPolicy.OtlpType;

    protected override int MaxBatch => BatchSize;

    protected override void Deliver(IReadOnlyList<Event> batch, CancellationToken cancel)
    {
        _client.Post(OtlpLogFormat.Gzip(encode(batch)), "application/x-protobuf", "gzip", cancel);
    }

    public override void Dispose()
    {
        base.Dispose();
        _client.Dispose();
    }
}
