using Org.BouncyCastle.Tls;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The application data of an established TLS connection, usable from one reader and one
/// writer at once, synchronously or asynchronously. BouncyCastle's TlsStream is synchronous:
/// its ReadAsync and WriteAsync fall back on Stream's defaults, which serialise every
/// asynchronous call on one semaphore, so a pending read (SocketsHttpHandler keeps one on an
/// idle pooled connection to see it close) would hold up the next request's write until the
/// server spoke or hung up. Here each asynchronous call runs its synchronous twin on the thread
/// pool; the protocol itself allows a concurrent reader and writer (its record writes take
/// their own lock). Cancelling a pending call closes the connection, as it would a socket's.
/// </summary>
internal sealed class TlsApplicationStream(TlsClientProtocol protocol, Stream transport) : Stream
{
    private readonly Stream _tls = protocol.Stream;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => _tls.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _tls.Read(buffer);

    public override void Write(byte[] buffer, int offset, int count) => _tls.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _tls.Write(buffer);

    public override void Flush() => _tls.Flush();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Offload(() => _tls.Read(buffer.Span), cancellationToken));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(Offload(() =>
        {
            _tls.Write(buffer.Span);
            return 0;
        }, cancellationToken));

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Offload(() =>
        {
            _tls.Flush();
            return 0;
        }, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // close_notify, then the transport; a connection already broken only needs the latter.
            try
            {
                _tls.Dispose();
            }
            catch (IOException)
            {
            }
            transport.Dispose();
        }
        base.Dispose(disposing);
    }

    private async Task<int> Offload(Func<int> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // A blocked read or write cannot be interrupted but by closing what it blocks on.
        await using CancellationTokenRegistration closeOnCancel = cancellationToken.Register(transport.Dispose);
        try
        {
            return await Task.Run(call, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is IOException or ObjectDisposedException)
        {
            throw new OperationCanceledException("the TLS connection was closed to cancel a pending call", e, cancellationToken);
        }
    }
}
