using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MicroEnforcer.IntegrationTests.Audit.Receivers;

/// <summary>
/// A receiver of the enforcer's HTTP audit sinks on the loopback: an HTTP/1.1 server on a raw
/// TcpListener, with the faults a collector shows (<see cref="ReceiverFault"/>) and a record of
/// every request with the time it arrived and how it was answered.
/// Why not Kestrel or HttpListener: the faults are about the socket itself: a receiver that is
/// down must refuse connections (and drop the ones it had), a blackhole must accept and read a
/// request and never answer; a server framework answers for us (or times out for us) exactly
/// where these tests need control.
/// </summary>
internal sealed class HttpReceiver : IDisposable
{
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();

    private readonly Func<ReceivedRequest, string?> _validate;
    private readonly List<ReceivedRequest> _requests = [];
    private readonly List<TcpClient> _connections = [];
    private readonly object _lock = new();
    private TcpListener? _listener;
    private CancellationTokenSource _down = new();
    private ReceiverFault _fault = ReceiverFault.Healthy;

    /// <param name="name">For messages: "otlp", "falco".</param>
    /// <param name="validate">Reads a request's body: null if it is well-formed, else why not (answered 400).</param>
    /// <param name="port">The port to listen on; 0 picks a free one (and keeps it across Down/Up).</param>
    public HttpReceiver(string name, Func<ReceivedRequest, string?> validate, int port = 0)
    {
        Name = name;
        _validate = validate;
        Port = port == 0 ? FreePort() : port;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>How requests are answered from now on (a blackholed request waits for <see cref="Release"/> or Down).</summary>
    public ReceiverFault Fault
    {
        get
        {
            lock (_lock)
                return _fault;
        }
        set
        {
            lock (_lock)
                _fault = value;
        }
    }

    /// <summary>Every request read, in arrival order.</summary>
    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_lock)
                return [.. _requests];
        }
    }

    /// <summary>The requests answered 2xx: what the sender may count as delivered.</summary>
    public IReadOnlyList<ReceivedRequest> Accepted => [.. Requests.Where(r => r.Status is >= 200 and < 300)];

    /// <summary>Why requests were refused as malformed (answered 400): a failing test names them.</summary>
    public IReadOnlyList<string> Malformed => [.. Requests.Where(r => r.Problem is not null).Select(r => $"{r.Path}: {r.Problem}")];

    /// <summary>Called (on the connection's thread) with each request answered 2xx: the demo's receiver prints it.</summary>
    public Action<ReceivedRequest>? OnAccepted { get; set; }

    public bool IsUp
    {
        get
        {
            lock (_lock)
                return _listener is not null;
        }
    }

    /// <summary>A free TCP port on the loopback, at the time of asking.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Starts (or restarts, after <see cref="Down"/>) listening on <see cref="Port"/>.</summary>
    public HttpReceiver Up()
    {
        lock (_lock)
        {
            if (_listener is not null)
                return this;
            _down = new CancellationTokenSource();
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            var thread = new Thread(() => AcceptLoop(listener, _down.Token)) { IsBackground = true, Name = $"{Name}-receiver" };
            thread.Start();
        }
        return this;
    }

    /// <summary>
    /// Stops listening and drops every open connection, answered or not: the sender sees refused
    /// connections (or a reset) until <see cref="Up"/>.
    /// </summary>
    public void Down()
    {
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
            _down.Cancel();
            foreach (TcpClient connection in _connections)
                connection.Dispose();
            _connections.Clear();
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds of the requests, or fails with what arrived.</summary>
    public void WaitFor(Func<HttpReceiver, bool> done, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done(this))
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{Name} receiver: {what} did not happen within {timeout.TotalSeconds} s; " +
                    $"{Requests.Count} requests ({string.Join(", ", Requests.Select(r => r.Status?.ToString() ?? "unanswered"))}); malformed: {string.Join("; ", Malformed)}");
            Thread.Sleep(50);
        }
    }

    private void AcceptLoop(TcpListener listener, CancellationToken down)
    {
        while (!down.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = listener.AcceptTcpClient();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            lock (_lock)
            {
                if (down.IsCancellationRequested)
                {
                    client.Dispose();
                    return;
                }
                _connections.Add(client);
            }
            new Thread(() => Serve(client, down)) { IsBackground = true, Name = $"{Name}-connection" }.Start();
        }
    }

    // One connection: requests one after the other (keep-alive) until the peer closes or Down.
    private void Serve(TcpClient client, CancellationToken down)
    {
        try
        {
            using (client)
            {
                Stream stream = client.GetStream();
                while (!down.IsCancellationRequested && ReadRequest(stream) is { } request)
                {
                    ReceiverFault fault = Fault;
                    lock (_lock)
                        _requests.Add(request);
                    if (fault.Blackhole)
                    {
                        // Read, never answered: the sender's request times out.
                        down.WaitHandle.WaitOne();
                        return;
                    }
                    if (fault.Delay > TimeSpan.Zero && down.WaitHandle.WaitOne(fault.Delay))
                        return;
                    (int status, string? retryAfter) = fault.Answer(request) ?? (request.Problem is null ? (200, null) : (400, null));
                    if (status is >= 200 and < 300 && request.Problem is null)
                        request.Problem = _validate(request);
                    if (request.Problem is not null)
                        (status, retryAfter) = (400, null);
                    var head = new StringBuilder($"HTTP/1.1 {status} {Reason(status)}\r\nContent-Length: 0\r\n");
                    if (retryAfter is not null)
                        head.Append($"Retry-After: {retryAfter}\r\n");
                    head.Append("\r\n");
                    request.Status = status;
                    request.AnsweredAt = s_clock.Elapsed;
                    stream.Write(Encoding.ASCII.GetBytes(head.ToString()));
                    stream.Flush();
                    if (status is >= 200 and < 300)
                        OnAccepted?.Invoke(request);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer went away, or Down dropped the connection.
        }
        finally
        {
            lock (_lock)
                _connections.Remove(client);
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    // An HTTP/1.1 request: the head, then a body by Content-Length or chunked; gunzipped when
    // Content-Encoding says gzip. Null when the peer closed before a request began.
    private static ReceivedRequest? ReadRequest(Stream stream)
    {
        string? requestLine = ReadLine(stream);
        if (string.IsNullOrEmpty(requestLine))
            return null;
        TimeSpan receivedAt = s_clock.Elapsed;
        string[] parts = requestLine.Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (string? line = ReadLine(stream); !string.IsNullOrEmpty(line); line = ReadLine(stream))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        byte[] raw;
        if (headers.TryGetValue("Transfer-Encoding", out string? te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                string size = ReadLine(stream) ?? throw new IOException("the chunked body ended early");
                int n = Convert.ToInt32(size.Split(';')[0].Trim(), 16);
                if (n == 0)
                {
                    while (!string.IsNullOrEmpty(ReadLine(stream)))
                    {
                    }
                    break;
                }
                body.Write(ReadExactly(stream, n));
                ReadLine(stream);
            }
            raw = body.ToArray();
        }
        else
        {
            raw = ReadExactly(stream, headers.TryGetValue("Content-Length", out string? length) ? int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) : 0);
        }
        var request = new ReceivedRequest(parts[0], parts.Length > 1 ? parts[1] : "", headers, receivedAt);
        try
        {
            request.Body = headers.TryGetValue("Content-Encoding", out string? encoding) && encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase)
                ? Gunzip(raw)
                : raw;
        }
        catch (InvalidDataException e)
        {
            request.Body = raw;
            request.Problem = "Content-Encoding gzip, but the body is not gzip: " + e.Message;
        }
        return request;
    }

    private static byte[] Gunzip(byte[] raw)
    {
        using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
        var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private static byte[] ReadExactly(Stream stream, int count)
    {
        byte[] buffer = new byte[count];
        stream.ReadExactly(buffer);
        return buffer;
    }

    // A CRLF-terminated line, byte by byte (a head is short; the body is read by its length).
    private static string? ReadLine(Stream stream)
    {
        var line = new StringBuilder();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0)
                return line.Length == 0 ? null : line.ToString();
            if (b == '\n')
                return line.ToString().TrimEnd('\r');
            line.Append((char)b);
        }
    }

    public void Dispose() => Down();
}

/// <summary>One request as the receiver read it (body already gunzipped), and how it was answered.</summary>
internal sealed class ReceivedRequest(string method, string path, IReadOnlyDictionary<string, string> headers, TimeSpan receivedAt)
{
    public string Method { get; } = method;

    public string Path { get; } = path;

    public IReadOnlyDictionary<string, string> Headers { get; } = headers;

    /// <summary>When its head arrived, on the receiver's monotonic clock.</summary>
    public TimeSpan ReceivedAt { get; } = receivedAt;

    public byte[] Body { get; set; } = [];

    /// <summary>Why the body was refused as malformed (400), or null.</summary>
    public string? Problem { get; set; }

    /// <summary>The status answered; null while (or if never) answered.</summary>
    public int? Status { get; set; }

    public TimeSpan? AnsweredAt { get; set; }

    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
}

/// <summary>
/// How a receiver answers: at once (healthy), after a delay (slow), never (blackhole), or with a
/// status of the test's choosing for the next N requests (500s, 429 with Retry-After).
/// </summary>
internal sealed class ReceiverFault
{
    private int _failuresLeft;

    public static ReceiverFault Healthy => new();

    /// <summary>Accepts the connection and reads the request, never answers.</summary>
    public static ReceiverFault BlackholeMode => new() { Blackhole = true };

    public static ReceiverFault Slow(TimeSpan perRequest) => new() { Delay = perRequest };

    /// <summary>The next <paramref name="count"/> requests get <paramref name="status"/> (with Retry-After when given), then 200.</summary>
    public static ReceiverFault Failing(int count, int status, string? retryAfter = null) =>
        new() { _failuresLeft = count, FailureStatus = status, RetryAfter = retryAfter };

    public bool Blackhole { get; private init; }

    public TimeSpan Delay { get; private init; }

    public int FailureStatus { get; private init; }

    public string? RetryAfter { get; private init; }

    /// <summary>The status for this request, or null for the normal answer (200, or 400 if malformed).</summary>
    public (int Status, string? RetryAfter)? Answer(ReceivedRequest request)
    {
        _ = request;
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            return (FailureStatus, RetryAfter);
        return null;
    }
}
