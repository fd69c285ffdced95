using MicroEnforcer.IntegrationTests.Audit.Receivers;
using MicroEnforcer.Samples.AuditReceiver;

// usage: audit-receiver [--otlp PORT] [--syslog PORT]
// Prints one line per event received: "otlp   | ..." with the LogRecord's attributes and
// resource, "syslog | <the RFC 5424 message>". Runs until killed.
int otlpPort = 4318, syslogPort = 6514;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--otlp":
            otlpPort = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--syslog":
            syslogPort = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine("usage: audit-receiver [--otlp PORT] [--syslog PORT]");
            return 2;
    }
}

object console = new();
void Print(string line)
{
    lock (console)
        Console.WriteLine(line);
}

using var otlp = new OtlpReceiver(otlpPort);
otlp.Http.OnAccepted = request =>
{
    foreach (OtlpRecord record in OtlpReceiver.Decode(request))
    {
        string attributes = string.Join(' ', record.Log.Attributes.Select(a => $"{a.Key}={Show(a.Value)}"));
        string resource = string.Join(' ', record.Resource.Attributes.Select(a => $"{a.Key}={Show(a.Value)}"));
        Print($"otlp   | {record.Log.SeverityText} {attributes} | resource: {resource}");
    }
};
otlp.Http.Up();
new SyslogListener(syslogPort, message => Print("syslog | " + message.TrimStart('\uFEFF'))).Start();
Print($"audit-receiver: OTLP/HTTP on http://127.0.0.1:{otlpPort}/v1/logs, syslog (TCP) on 127.0.0.1:{syslogPort}");
Thread.Sleep(Timeout.Infinite);
return 0;

static string Show(OpenTelemetry.Proto.Common.V1.AnyValue value) => value.ValueCase switch
{
    OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.StringValue => value.StringValue.Contains(' ', StringComparison.Ordinal) ? $"\"{value.StringValue}\"" : value.StringValue,
    OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
    OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
    _ => value.ToString(),
};
