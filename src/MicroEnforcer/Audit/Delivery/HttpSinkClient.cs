using System.Net.Sockets;
using System.Text;
using MicroEnforcer.Audit.Transport;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// POSTs one body to an HTTP sink's endpoint, synchronously on the sender thread, and turns the
/// answer into success, <see cref="DeliveryFailure"/> (5xx, 408, 429, connection errors,
/// timeouts; Retry-After kept) or <see cref="DeliveryRefused"/> (any other 4xx, and 3xx).
/// The connection is TCP, and for https the managed <see cref="TlsConnector"/> over it; the
/// bearer token, when the sink has one, is read before each request (<see cref="BearerToken"/>).
/// </summary>
internal sealed class HttpSinkClient : IDisposable
{
    private readonly HttpSinkPolicy _policy;
    private readonly HttpExchange _exchange;
    private readonly BearerToken? _token;
    private TlsTrust? _trust;

    public HttpSinkClient(HttpSinkPolicy policy)
    {
        _policy = policy;
        _token = policy.BearerTokenFile is { } file ? new BearerToken(file) : null;
        _exchange = new HttpExchange(policy.Endpoint, Connect, policy.Timeout);
    }

    /// <summary>POSTs <paramref name="body"/>; returns when the receiver answered 2xx.</summary>
    public void Post(ReadOnlySpan<byte> body, string contentType, string? contentEncoding, CancellationToken cancel)
    {
        var headers = new List<(string, string)>(4) { ("Content-Type", contentType), ("User-Agent", "microenforcer") };
        if (contentEncoding is not null)
            headers.Add(("Content-Encoding", contentEncoding));
        if (_token is not null)
            headers.Add(("Authorization", $"Bearer {_token.Value()}"));
        HttpExchange.Answer answer;
        try
        {
            answer = _exchange.Send("POST", headers, body, cancel);
        }
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new DeliveryFailure($"no answer within {PolicyDuration.Format(_policy.Timeout)}", inner: e);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            throw new DeliveryFailure(Innermost(e), inner: e);
        }
        int status = answer.Status;
        if (status is >= 200 and < 300)
            return;
        string text = $"HTTP {status} {answer.Reason}".TrimEnd();
        if (status is 408 or 429 or >= 500)
        {
            TimeSpan? retryAfter = status is 429 or 503 && answer.Headers.TryGetValue("retry-after", out string? value)
                ? RetryAfterHeader.Parse(value, DateTimeOffset.UtcNow)
                : null;
            throw new DeliveryFailure(retryAfter is { } wait ? $"{text}, Retry-After {wait.TotalSeconds:F0} s" : text, retryAfter);
        }
        throw new DeliveryRefused($"{text}{Excerpt(answer.Body)}");
    }

    /// <summary>The connection: TCP to the endpoint's host and port, then TLS for https.</summary>
    private Stream Connect(CancellationToken cancel)
    {
        Socket socket = HttpExchange.ConnectTcp(_policy.Endpoint.IdnHost, _policy.Endpoint.Port, cancel);
        // A server that stops answering fails the read instead of holding the sender past the timeout.
        socket.ReceiveTimeout = socket.SendTimeout = (int)_policy.Timeout.TotalMilliseconds;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (!_policy.UsesTls)
            return stream;
        _trust ??= TlsTrust.Load(_policy.CaFile);
        return TlsConnector.Connect(stream, _policy.Endpoint.IdnHost, _trust);
    }

    /// <summary>The innermost message, which says what went wrong ("Connection refused").</summary>
    private static string Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
            e = inner;
        return e.Message;
    }

    /// <summary>The start of a refusal's body, which usually says what the receiver objected to.</summary>
    private static string Excerpt(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).Trim();
        return text.Length == 0 ? string.Empty : $": {text}";
    }

    public void Dispose() => _exchange.Dispose();
}
