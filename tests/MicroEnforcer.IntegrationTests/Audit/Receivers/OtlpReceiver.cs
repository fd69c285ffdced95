using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace MicroEnforcer.IntegrationTests.Audit.Receivers;

/// <summary>
/// An OTLP/HTTP logs receiver (an OpenTelemetry collector's <c>POST /v1/logs</c>, binary
/// protobuf): each request is decoded with the official protos into an ExportLogsServiceRequest;
/// a request that is not one (wrong path, method, content type, or bytes protobuf cannot parse)
/// is answered 400 and named in <see cref="HttpReceiver.Malformed"/>.
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    public OtlpReceiver(int port = 0) => Http = new HttpReceiver("otlp", Validate, port);

    public HttpReceiver Http { get; }

    /// <summary>http://127.0.0.1:PORT/v1/logs</summary>
    public string Endpoint => $"http://127.0.0.1:{Http.Port}/v1/logs";

    /// <summary>Every LogRecord of the requests answered 2xx, with its resource, in arrival order.</summary>
    public IReadOnlyList<OtlpRecord> Records => [.. Http.Accepted.SelectMany(Decode)];

    public static IEnumerable<OtlpRecord> Decode(ReceivedRequest request)
    {
        var export = ExportLogsServiceRequest.Parser.ParseFrom(request.Body);
        foreach (ResourceLogs resourceLogs in export.ResourceLogs)
        {
            foreach (ScopeLogs scopeLogs in resourceLogs.ScopeLogs)
            {
                foreach (LogRecord record in scopeLogs.LogRecords)
                    yield return new OtlpRecord(resourceLogs.Resource, scopeLogs.Scope, record);
            }
        }
    }

    private static string? Validate(ReceivedRequest request)
    {
        if (request.Method != "POST")
            return $"method {request.Method}, not POST";
        if (request.Path != "/v1/logs")
            return $"path {request.Path}, not /v1/logs";
        if (request.Header("Content-Type") is not "application/x-protobuf")
            return $"Content-Type '{request.Header("Content-Type")}', not application/x-protobuf";
        try
        {
            var export = ExportLogsServiceRequest.Parser.ParseFrom(request.Body);
            return export.ResourceLogs.Count == 0 ? "an export with no ResourceLogs" : null;
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not an ExportLogsServiceRequest: " + e.Message;
        }
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>One LogRecord as a collector sees it: with its resource and instrumentation scope.</summary>
internal sealed record OtlpRecord(Resource Resource, InstrumentationScope? Scope, LogRecord Log)
{
    /// <summary>A resource attribute's value as text ("" when absent).</summary>
    public string ResourceAttribute(string key) => Text(Resource.Attributes, key);

    /// <summary>An event attribute's value as text ("" when absent).</summary>
    public string Attribute(string key) => Text(Log.Attributes, key);

    public string Body => Log.Body?.ValueCase == AnyValue.ValueOneofCase.StringValue ? Log.Body.StringValue : Log.Body?.ToString() ?? "";

    private static string Text(IEnumerable<KeyValue> attributes, string key)
    {
        KeyValue? match = attributes.FirstOrDefault(a => a.Key == key);
        return match?.Value is not { } value ? "" : value.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => value.StringValue,
            AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
            AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    public override string ToString() =>
        $"resource {{{string.Join(", ", Resource.Attributes.Select(a => $"{a.Key}={a.Value}"))}}} severity {Log.SeverityText}/{Log.SeverityNumber} " +
        $"attributes {{{string.Join(", ", Log.Attributes.Select(a => $"{a.Key}={a.Value}"))}}} body {Body}";
}
