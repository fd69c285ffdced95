using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MicroEnforcer.IntegrationTests.Audit.Receivers;

/// <summary>
/// A falcosidekick stand-in: <c>POST /</c> with one event in Falco's JSON output format (Falco's
/// json_output; falcosidekick's FalcoPayload). Each event is checked against Falco's documented
/// output fields: output, priority (one of Falco's eight), rule, time (RFC 3339), output_fields
/// (an object), source, tags (strings) and hostname. A request that fails a check is answered
/// 400 and named in <see cref="HttpReceiver.Malformed"/>.
/// </summary>
internal sealed partial class FalcoReceiver : IDisposable
{
    /// <summary>Falco's priorities, as its JSON output writes them.</summary>
    public static readonly string[] Priorities = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"];

    public FalcoReceiver(int port = 0) => Http = new HttpReceiver("falco", Validate, port);

    public HttpReceiver Http { get; }

    /// <summary>http://127.0.0.1:PORT/</summary>
    public string Endpoint => $"http://127.0.0.1:{Http.Port}/";

    /// <summary>Every event of the requests answered 2xx, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Events => [.. Http.Accepted.SelectMany(Parse)];

    // falcosidekick reads one event per request; an array is taken too, each element checked.
    private static IEnumerable<JsonElement> Parse(ReceivedRequest request)
    {
        using var doc = JsonDocument.Parse(request.Body);
        if (doc.RootElement.ValueKind == JsonValueKind.Array)
            return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
        return [doc.RootElement.Clone()];
    }

    private static string? Validate(ReceivedRequest request)
    {
        if (request.Method != "POST")
            return $"method {request.Method}, not POST";
        if (request.Path != "/")
            return $"path {request.Path}, not /";
        if (request.Header("Content-Type") is not { } type || !type.StartsWith("application/json", StringComparison.Ordinal))
            return $"Content-Type '{request.Header("Content-Type")}', not application/json";
        try
        {
            foreach (JsonElement e in Parse(request))
            {
                if (Check(e) is { } problem)
                    return problem;
            }
            return null;
        }
        catch (JsonException e)
        {
            return "not JSON: " + e.Message;
        }
    }

    /// <summary>Why an event is not in Falco's output format, or null.</summary>
    public static string? Check(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
            return "an event that is not a JSON object";
        foreach (string field in new[] { "output", "priority", "rule", "time", "source", "hostname" })
        {
            if (!e.TryGetProperty(field, out JsonElement value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 })
                return $"'{field}' missing or not a non-empty string: {e}";
        }
        if (!Priorities.Contains(e.GetProperty("priority").GetString()))
            return $"priority '{e.GetProperty("priority").GetString()}' is not one of Falco's ({string.Join(", ", Priorities)})";
        if (!IsRfc3339(e.GetProperty("time").GetString()!))
            return $"time '{e.GetProperty("time").GetString()}' is not RFC 3339";
        if (!e.TryGetProperty("output_fields", out JsonElement fields) || fields.ValueKind != JsonValueKind.Object)
            return $"'output_fields' missing or not an object: {e}";
        if (!e.TryGetProperty("tags", out JsonElement tags) || tags.ValueKind != JsonValueKind.Array
            || tags.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
            return $"'tags' missing or not an array of strings: {e}";
        return null;
    }

    // RFC 3339's date-time: full-date "T" full-time, fractions of any length (Falco writes
    // nanoseconds, more digits than DateTimeOffset parses), Z or a numeric offset.
    public static bool IsRfc3339(string time)
    {
        Match m = Rfc3339().Match(time);
        return m.Success && DateTime.TryParseExact(m.Groups["date"].Value + "T" + m.Groups["time"].Value, "yyyy-MM-ddTHH:mm:ss",
            CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    [GeneratedRegex(@"^(?<date>\d{4}-\d{2}-\d{2})[Tt](?<time>\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    public void Dispose() => Http.Dispose();
}
