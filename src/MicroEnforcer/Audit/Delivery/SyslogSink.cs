using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using MicroEnforcer.Audit.Schema.V1;
using MicroEnforcer.Audit.Transport;
using MicroEnforcer.Policy;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// Syslog (<c>type: syslog</c>): RFC 5424 messages on one persistent TCP connection (TLS with
/// <c>tls: true</c>, RFC 5425), each framed by octet counting (RFC 6587 3.4.1, <c>LEN SP MSG</c>),
/// a batch written at once. A failed write drops the connection; the next try connects again.
/// </summary>
/// <remarks>
/// TCP syslog has no acknowledgement: a batch written into a connection the server has just
/// closed can be lost without an error (the failure shows on a later write). This is the
/// protocol's limit, and rsyslog's own forwarder's.
/// </remarks>
/// <param name="encode">The event's RFC 5424 message, without framing (SyslogFormat).</param>
internal sealed class SyslogSink(SyslogSinkPolicy policy, int queueSize, Func<Event, byte[]> encode,
    Func<NetworkSink, long, Event> dropped, ILogger log) : NetworkSink(queueSize, dropped, log)
{
    public const int BatchSize = 256;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private readonly ArrayBufferWriter<byte> _frames = new(64 * 1024);
    private Stream? _connection;
    private TlsTrust? _trust;

    public override string Name => policy.Describe();

    protected override string Type => SyslogSinkPolicy.TypeName;

    protected override int MaxBatch => BatchSize;

    protected override void Deliver(IReadOnlyList<Event> batch, CancellationToken cancel)
    {
        _frames.ResetWrittenCount();
        foreach (Event e in batch)
            Frame(encode(e), _frames);
        Stream connection = _connection ??= Connect(cancel);
        try
        {
            connection.Write(_frames.WrittenSpan);
            connection.Flush();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Disconnect();
            throw new DeliveryFailure($"writing to {policy.Address} failed: {e.Message}", inner: e);
        }
    }

    /// <summary>RFC 6587 octet counting: the message's length in bytes, a space, the message.</summary>
    public static void Frame(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        string length = message.Length.ToString(CultureInfo.InvariantCulture);
        Span<byte> prefix = output.GetSpan(length.Length + 1);
        for (int i = 0; i < length.Length; i++)
            prefix[i] = (byte)length[i];
        prefix[length.Length] = (byte)' ';
        output.Advance(length.Length + 1);
        message.CopyTo(output.GetSpan(message.Length));
        output.Advance(message.Length);
    }

    private Stream Connect(CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                timeout.CancelAfter(s_timeout);
                try
                {
                    socket.ConnectAsync(policy.Host, policy.Port, timeout.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
                {
                    throw new DeliveryFailure($"connecting to {policy.Address} timed out", inner: e);
                }
            }
            // A server that stops reading fails the write instead of holding the sender forever.
            socket.SendTimeout = socket.ReceiveTimeout = (int)s_timeout.TotalMilliseconds;
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (!policy.Tls)
                return stream;
            _trust ??= TlsTrust.Load(policy.CaFile);
            return TlsConnector.Connect(stream, policy.Host, _trust);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            socket.Dispose();
            throw new DeliveryFailure($"cannot connect to {policy.Address}: {e.Message}", inner: e);
        }
    }

    private void Disconnect()
    {
        try
        {
            _connection?.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // already broken: nothing to close cleanly
        }
        _connection = null;
    }

    public override void Dispose()
    {
        base.Dispose();
    }
}
