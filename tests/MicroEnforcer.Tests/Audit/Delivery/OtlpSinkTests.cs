using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MicroEnforcer.Audit;
using MicroEnforcer.Audit.Delivery;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Logs.V1;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Delivery;

/// <summary>
/// The audit log with an OTLP sink against a receiver in the test (HttpListener), in process:
/// the receiver holds the first request while the queue fills behind it.
/// </summary>
public sealed class OtlpSinkTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Encoding, string? Authorization, List<LogRecord> Records)> _received = new();
    private readonly ManualResetEventSlim _firstArrived = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly int _port;

    public OtlpSinkTests()
    {
        _port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        new Thread(Serve) { IsBackground = true }.Start();
    }

    private void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = _listener.GetContext();
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            using (var gzip = new GZipStream(context.Request.InputStream, CompressionMode.Decompress))
                gzip.CopyTo(body);
            var request = ExportLogsServiceRequest.Parser.ParseFrom(body.ToArray());
            _firstArrived.Set();
            _release.Wait();
            _received.Enqueue((context.Request.Headers["Content-Encoding"]!, context.Request.Headers["Authorization"],
                [.. request.ResourceLogs.SelectMany(r => r.ScopeLogs).SelectMany(s => s.LogRecords)]));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    [Fact]
    public void WhileTheReceiverHoldsABatch_TheQueueFills_ThenItAllArrives_WithOneDropEventOfTheExactCount()
    {
        string token = Path.Combine(Path.GetTempPath(), $"token-{Guid.NewGuid():N}");
        File.WriteAllText(token, "  secret-1\n");
        var lines = new ConcurrentQueue<string>();
        var policy = new AuditPolicy(10, TimeSpan.FromSeconds(60),
        [
            StderrSinkPolicy.Instance,
            new HttpSinkPolicy("otlp", new Uri($"http://127.0.0.1:{_port}/v1/logs"), null, token, TimeSpan.FromSeconds(30)),
        ]);
        AuditLog audit = AuditLog.Start(policy, _ => null, line => lines.Enqueue(Encoding.UTF8.GetString(line.Span)), NullLogger.Instance)!;

        audit.Write(Event("/bin/first"));
        Assert.True(_firstArrived.Wait(TimeSpan.FromMinutes(1)), "the first batch never arrived");
        for (int i = 0; i < 30; i++)
            audit.Write(Event($"/bin/queued{i}"));   // 10 queued, 20 dropped: the sender is held
        _release.Set();
        audit.Flush(TimeSpan.FromMinutes(1));

        var records = _received.SelectMany(r => r.Records).ToList();
        string Attribute(LogRecord r, string key) => r.Attributes.First(a => a.Key == key).Value.StringValue;
        Assert.Equal(["/bin/first", .. Enumerable.Range(0, 10).Select(i => $"/bin/queued{i}")],
            records.Where(r => Attribute(r, "microenforcer.control") == "drift").Select(r => Attribute(r, "process.executable.path")));
        LogRecord drop = Assert.Single(records, r => Attribute(r, "microenforcer.control") == "audit");
        Assert.Equal("dropped 20 events: the sink's queue was full", Attribute(drop, "microenforcer.reason"));
        Assert.All(_received, r => Assert.Equal("gzip", r.Encoding));
        Assert.All(_received, r => Assert.Equal("Bearer secret-1", r.Authorization));
        // stderr: every event, and the drop event as a normal line.
        Assert.Equal(32, lines.Count);
        Assert.Contains(lines, line => line.Contains("\"dropped\":{\"sink\":\"otlp http://127.0.0.1:", StringComparison.Ordinal)
            && line.Contains("\"count\":20", StringComparison.Ordinal));
        File.Delete(token);
    }

    private static AuditEvent Event(string path) =>
        new("drift", AuditAction.Blocked, "enforce", 7, 1, 0, path, null, null, "not in the image baseline", "execve");

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _release.Set();
        _listener.Close();
        _firstArrived.Dispose();
    }
}
