using System.IO.Compression;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using MicroEnforcer.IntegrationTests.Audit.Receivers;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Audit;

/// <summary>
/// The receivers themselves, with .NET's HttpClient as the sender (no enforcer): what the sink
/// tests conclude is only as good as these. A receiver that is down refuses connections, a
/// blackhole reads and never answers, the scripted statuses carry Retry-After, gzip is undone,
/// and a Falco event without Falco's fields is refused.
/// </summary>
public sealed class ReceiverTests
{
    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static ByteArrayContent Otlp(bool gzip)
    {
        var export = new ExportLogsServiceRequest();
        var resourceLogs = new ResourceLogs { Resource = new Resource() };
        resourceLogs.Resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "microenforcer" } });
        var scope = new ScopeLogs();
        var record = new LogRecord { TimeUnixNano = 1, SeverityNumber = SeverityNumber.Warn };
        record.Attributes.Add(new KeyValue { Key = "control", Value = new AnyValue { StringValue = "drift" } });
        record.Attributes.Add(new KeyValue { Key = "pid", Value = new AnyValue { IntValue = 42 } });
        scope.LogRecords.Add(record);
        resourceLogs.ScopeLogs.Add(scope);
        export.ResourceLogs.Add(resourceLogs);
        byte[] body = export.ToByteArray();
        if (gzip)
        {
            var zipped = new MemoryStream();
            using (var stream = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true))
                stream.Write(body);
            body = zipped.ToArray();
        }
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        if (gzip)
            content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Otlp_DecodesWithTheOfficialProtos(bool gzip)
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Up();

        using HttpResponseMessage response = await s_client.PostAsync(otlp.Endpoint, Otlp(gzip));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        OtlpRecord record = Assert.Single(otlp.Records);
        Assert.Equal("drift", record.Attribute("control"));
        Assert.Equal("42", record.Attribute("pid"));
        Assert.Equal("microenforcer", record.ResourceAttribute("service.name"));
    }

    [Fact]
    public async Task Otlp_RefusesWhatIsNotAnExport()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Up();
        var content = new ByteArrayContent([0xff, 0xff, 0xff]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");

        using HttpResponseMessage response = await s_client.PostAsync(otlp.Endpoint, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Single(otlp.Http.Malformed);
        Assert.Empty(otlp.Records);
    }

    [Fact]
    public async Task Down_RefusesConnections_AndUpListensAgainOnTheSamePort()
    {
        using var otlp = new OtlpReceiver();

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => s_client.PostAsync(otlp.Endpoint, Otlp(false)));
        Assert.IsType<SocketException>(refused.InnerException);
        otlp.Http.Up();
        Assert.Equal(HttpStatusCode.OK, (await s_client.PostAsync(otlp.Endpoint, Otlp(false))).StatusCode);
        otlp.Http.Down();
        await Assert.ThrowsAsync<HttpRequestException>(() => s_client.PostAsync(otlp.Endpoint, Otlp(false)));
        otlp.Http.Up();
        Assert.Equal(HttpStatusCode.OK, (await s_client.PostAsync(otlp.Endpoint, Otlp(false))).StatusCode);
        Assert.Equal(2, otlp.Records.Count);
    }

    [Fact]
    public async Task Blackhole_ReadsTheRequest_AndNeverAnswers()
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.BlackholeMode;
        otlp.Http.Up();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };

        await Assert.ThrowsAnyAsync<Exception>(() => client.PostAsync(otlp.Endpoint, Otlp(false)));

        ReceivedRequest request = Assert.Single(otlp.Http.Requests);
        Assert.Null(request.Status);
        Assert.Empty(otlp.Records);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(500)]
    public async Task Failing_AnswersTheStatusWithRetryAfter_ThenOk(int status)
    {
        using var otlp = new OtlpReceiver();
        otlp.Http.Fault = ReceiverFault.Failing(2, status, retryAfter: "2");
        otlp.Http.Up();

        using HttpResponseMessage first = await s_client.PostAsync(otlp.Endpoint, Otlp(false));
        using HttpResponseMessage second = await s_client.PostAsync(otlp.Endpoint, Otlp(false));
        using HttpResponseMessage third = await s_client.PostAsync(otlp.Endpoint, Otlp(false));

        Assert.Equal(status, (int)first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.Headers.RetryAfter?.Delta);
        Assert.Equal(status, (int)second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Single(otlp.Records);
        Assert.All(otlp.Http.Requests, r => Assert.NotNull(r.AnsweredAt));
    }

    [Fact]
    public async Task Falco_TakesAnEventWithFalcosFields_AndRefusesOneWithout()
    {
        using var falco = new FalcoReceiver();
        falco.Http.Up();
        const string Good = """
            {"output":"drift blocked /bin/x","priority":"Critical","rule":"Drifted executable","time":"2026-12-07T03:20:00.123456789Z",
             "output_fields":{"proc.pid":42},"source":"microenforcer","tags":["container","drift"],"hostname":"h"}
            """;
        string[] bad =
        [
            Good.Replace("\"Critical\"", "\"critical\"", StringComparison.Ordinal),   // Falco's capitalisation
            Good.Replace("2026-12-07T03:20:00.123456789Z", "2026-12-07 03:20:00", StringComparison.Ordinal),
            Good.Replace("\"tags\":[\"container\",\"drift\"]", "\"tags\":\"drift\"", StringComparison.Ordinal),
            Good.Replace("\"rule\":\"Drifted executable\",", "", StringComparison.Ordinal),
        ];

        Assert.Equal(HttpStatusCode.OK, (await s_client.PostAsync(falco.Endpoint, new StringContent(Good, Encoding.UTF8, "application/json"))).StatusCode);
        foreach (string body in bad)
            Assert.Equal(HttpStatusCode.BadRequest, (await s_client.PostAsync(falco.Endpoint, new StringContent(body, Encoding.UTF8, "application/json"))).StatusCode);

        JsonElement e = Assert.Single(falco.Events);
        Assert.Equal("Drifted executable", e.GetProperty("rule").GetString());
        Assert.Equal(4, falco.Http.Malformed.Count);
    }

    [Fact]
    public void Rsyslog_ParsesAnRfc5424Message()
    {
        using var rsyslog = RsyslogServer.Start();
        const string Message = "<134>1 2026-12-07T03:20:00.123Z host microenforcer 1 drift [me@32473 control=\"drift\"] {\"a\":1}";

        using (var client = new TcpClient())
        {
            client.Connect(IPAddress.Loopback, rsyslog.Port);
            client.GetStream().Write(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(Message)} {Message}"));
        }
        rsyslog.WaitFor(m => m.Count == 1, "the message", TimeSpan.FromSeconds(30));

        JsonElement parsed = Assert.Single(rsyslog.Messages);
        Assert.Equal("1", parsed.GetProperty("protocol-version").GetString());
        Assert.Equal("134", parsed.GetProperty("pri").GetString());
        Assert.Equal("microenforcer", parsed.GetProperty("app-name").GetString());
        Assert.Equal("[me@32473 control=\"drift\"]", parsed.GetProperty("structured-data").GetString());
        Assert.Equal("{\"a\":1}", parsed.GetProperty("msg").GetString());
    }

    [Fact]
    public void Rsyslog_OverTls_ServesACertificateOfItsCa()
    {
        using var rsyslog = RsyslogServer.Start(tls: true);
        using var ca = X509Certificate2.CreateFromPem(rsyslog.CaPem);
        const string Message = "<134>1 2026-12-07T03:20:00.123Z host microenforcer 1 drift - tls";

        using (var client = new TcpClient())
        {
            client.Connect(IPAddress.Loopback, rsyslog.Port);
            using var tls = new SslStream(client.GetStream(), false, (_, certificate, chain, errors) =>
            {
                // Trust exactly the test's CA, as the sink's caFile does.
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && chain.Build(new X509Certificate2(certificate!));
            });
            tls.AuthenticateAsClient("127.0.0.1");
            tls.Write(Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(Message)} {Message}"));
            tls.Flush();
        }
        rsyslog.WaitFor(m => m.Count == 1, "the message over TLS", TimeSpan.FromSeconds(30));

        Assert.Equal("tls", Assert.Single(rsyslog.Messages).GetProperty("msg").GetString());
    }
}
