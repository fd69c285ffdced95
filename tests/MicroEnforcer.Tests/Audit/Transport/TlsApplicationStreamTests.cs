using System.Net;
using System.Text;
using MicroEnforcer.Audit.Transport;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Transport;

/// <summary>The connector's stream as the senders use it: full duplex and asynchronous, under HttpClient.</summary>
public sealed class TlsApplicationStreamTests(TestPki pki) : IClassFixture<TestPki>
{
    // Only keeps a deadlock from hanging the run; nothing here measures speed.
    private static readonly TimeSpan Deadlock = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task APendingRead_DoesNotHoldUpAWrite()
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"));
        await using Stream tls = TlsConnector.Connect(server.Connect(), "localhost", TlsTrust.Load(pki.PathOf("ca.pem")));

        // As SocketsHttpHandler leaves a read pending on an idle connection, then writes the next request.
        var buffer = new byte[64];
        Task<int> read = tls.ReadAsync(buffer).AsTask();
        await tls.WriteAsync("hello\n"u8.ToArray()).AsTask().WaitAsync(Deadlock);
        await tls.FlushAsync().WaitAsync(Deadlock);
        int count = await read.WaitAsync(Deadlock);

        Assert.StartsWith("olleh", Encoding.ASCII.GetString(buffer, 0, count), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClient_ThroughTheConnectCallback_GetsAFileOverTls()
    {
        using var server = new OpenSslServer(pki.PathOf("leaf.pem"), pki.PathOf("leaf.key"), www: true);
        TlsTrust trust = TlsTrust.Load(pki.PathOf("ca.pem"));
        using var handler = new SocketsHttpHandler
        {
            // How the HTTP sinks plug TLS in: the request URI says http://, the stream is TLS.
            ConnectCallback = (context, _) => ValueTask.FromResult(TlsConnector.Connect(server.Connect(), context.DnsEndPoint.Host, trust)),
        };
        using var client = new HttpClient(handler);

        string body = await client.GetStringAsync(new Uri($"http://localhost:{server.Port}/ca.pem")).WaitAsync(Deadlock);

        Assert.Equal(await File.ReadAllTextAsync(pki.PathOf("ca.pem")), body);
    }

    [Fact]
    public async Task HttpClient_GetsTheRefusalAndItsReason()
    {
        using var server = new OpenSslServer(pki.PathOf("wrong-name.pem"), pki.PathOf("wrong-name.key"), www: true);
        TlsTrust trust = TlsTrust.Load(pki.PathOf("ca.pem"));
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = (context, _) => ValueTask.FromResult(TlsConnector.Connect(server.Connect(), context.DnsEndPoint.Host, trust)),
        };
        using var client = new HttpClient(handler);

        HttpRequestException failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri($"http://localhost:{server.Port}/ca.pem")).WaitAsync(Deadlock));

        Assert.IsType<TlsVerificationException>(failure.InnerException);
        Assert.Contains("name mismatch", failure.InnerException!.Message, StringComparison.Ordinal);
    }
}
