using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using MicroEnforcer.Audit.Transport;
using MicroEnforcer.Policy;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// POSTs one body to an HTTP sink's endpoint, synchronously on the sender thread, and turns the
/// answer into success, <see cref="DeliveryFailure"/> (5xx, 408, 429, connection errors,
/// timeouts; Retry-After kept) or <see cref="DeliveryRefused"/> (any other 4xx).
/// </summary>
/// <remarks>
/// HttpClient over SocketsHttpHandler works in the static binary (checked: plain POST, name
/// resolution through the image's /etc/hosts and resolv.conf, as glibc's static resolver reads
/// them). Its TLS does not (SslStream loads libssl), so every connection is made by
/// <see cref="Connect"/>: a socket, and for https the managed <see cref="TlsConnector"/> over it,
/// while the request itself is sent as http:// to the same host and port, with the Host header
/// the https URL would have had.
/// </remarks>
internal sealed class HttpSinkClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly HttpSinkPolicy _policy;
    private readonly Uri _requestUri;
    private readonly BearerToken? _token;
    private TlsTrust? _trust;

    public HttpSinkClient(HttpSinkPolicy policy)
    {
        _policy = policy;
        _requestUri = policy.UsesTls ? new UriBuilder(policy.Endpoint) { Scheme = Uri.UriSchemeHttp, Port = policy.Endpoint.Port }.Uri : policy.Endpoint;
        _token = policy.BearerTokenFile is { } file ? new BearerToken(file) : null;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,              // the connection is made here (Connect), to the endpoint itself
            AllowAutoRedirect = false,     // a redirect of a POST is the receiver's mistake, reported as such
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 1,   // one sender, one request at a time
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            ConnectTimeout = policy.Timeout,
            ConnectCallback = (context, cancel) => ValueTask.FromResult(Connect(context.DnsEndPoint, cancel)),
        };
        _client = new HttpClient(handler) { Timeout = policy.Timeout };
    }

    /// <summary>POSTs <paramref name="content"/>; returns when the receiver answered 2xx.</summary>
    public void Post(HttpContent content, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _requestUri) { Content = content };
        if (_policy.UsesTls)
            request.Headers.Host = _policy.Endpoint.Authority;
        if (_token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value());
        HttpResponseMessage response;
        try
        {
            response = _client.Send(request, HttpCompletionOption.ResponseContentRead, cancel);
        }
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new DeliveryFailure($"no answer within {PolicyDuration.Format(_policy.Timeout)}", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new DeliveryFailure(Describe(e), inner: e);
        }
        using (response)
        {
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
                return;
            string answer = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
            if (status is 408 or 429 or >= 500)
            {
                TimeSpan? retryAfter = status is 429 or 503 && response.Headers.TryGetValues("Retry-After", out IEnumerable<string>? values)
                    ? RetryAfterHeader.Parse(values.FirstOrDefault(), DateTimeOffset.UtcNow)
                    : null;
                throw new DeliveryFailure(retryAfter is { } wait ? $"{answer}, Retry-After {wait.TotalSeconds:F0} s" : answer, retryAfter);
            }
            throw new DeliveryRefused($"{answer}{Excerpt(response)}");
        }
    }

    /// <summary>The connection of one pooled HTTP/1.1 connection: TCP, then TLS for https.</summary>
    private Stream Connect(DnsEndPoint endpoint, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Blocking on the sender thread, which has nothing else to do; cancellable by the timeout.
            socket.ConnectAsync(endpoint, cancel).AsTask().GetAwaiter().GetResult();
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (!_policy.UsesTls)
                return stream;
            // A stalled handshake ends with the request's timeout too.
            socket.ReceiveTimeout = socket.SendTimeout = (int)_policy.Timeout.TotalMilliseconds;
            _trust ??= TlsTrust.Load(_policy.CaFile);
            return TlsConnector.Connect(stream, _policy.Endpoint.IdnHost, _trust);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The innermost message that says what went wrong ("Connection refused (127.0.0.1:4318)").</summary>
    private static string Describe(HttpRequestException e)
    {
        Exception inner = e;
        while (inner.InnerException is { } next)
            inner = next;
        return inner == e ? e.Message : $"{inner.Message} ({e.Message})";
    }

    /// <summary>The start of a refusal's body, which usually says what the receiver objected to.</summary>
    private static string Excerpt(HttpResponseMessage response)
    {
        try
        {
            string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult().Trim();
            return body.Length == 0 ? string.Empty : $": {(body.Length > 200 ? body[..200] + "…" : body)}";
        }
#pragma warning disable CA1031 // only an excerpt for the log
        catch (Exception)
#pragma warning restore CA1031
        {
            return string.Empty;
        }
    }

    public void Dispose() => _client.Dispose();
}
