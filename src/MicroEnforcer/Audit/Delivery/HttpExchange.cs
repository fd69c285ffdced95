using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// A minimal HTTP/1.1 client: one keep-alive connection, one request at a time, on the calling
/// (sender) thread. What the sinks need and no more: a request with a body of known length, and
/// an answer's status, headers and body (Content-Length, chunked, or up to the close).
/// </summary>
/// <remarks>
/// Hand-written because HttpClient cannot be linked into this binary: System.Net.Http references
/// SslStream, which pulls OpenSSL's shim archive (libSystem.Security.Cryptography.Native.OpenSsl.a)
/// into the static link, where its CryptoNative_* entry points collide with the getrandom(2) ones
/// that keep BouncyCastle's TLS off OpenSSL (Native/kernel_random.c; a static binary cannot load
/// libssl). HttpClient itself works in the static binary (plain POST, name resolution, checked
/// before the TLS work landed); it is the link that cannot have both. TLS comes from the
/// <paramref name="connect"/> callback (<see cref="Transport.TlsConnector"/> for https).
/// </remarks>
/// <param name="connect">Opens a connection to the server (TCP, then TLS when it applies).</param>
internal sealed class HttpExchange(Uri endpoint, Func<CancellationToken, Stream> connect, TimeSpan timeout) : IDisposable
{
    private const int MaxLine = 16 * 1024;
    private const int MaxBody = 1024 * 1024;

    private Stream? _connection;
    private BufferedReader? _reader;

    /// <summary>An answer: status, headers (names lower-case), body.</summary>
    public sealed record Answer(int Status, string Reason, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    /// <summary>Sends one request and reads its answer; an I/O error or the timeout throws (IOException, OperationCanceledException).</summary>
    public Answer Send(string method, IReadOnlyList<(string Name, string Value)> headers, ReadOnlySpan<byte> body, CancellationToken cancel)
    {
        byte[] head = Head(method, headers, body.Length);
        bool reused = _connection is not null;
        try
        {
            return Exchange(head, body, cancel);
        }
        catch (IOException) when (reused && !cancel.IsCancellationRequested)
        {
            // The server closed the idle keep-alive connection: once more on a new one.
            Close();
            return Exchange(head, body, cancel);
        }
    }

    private Answer Exchange(byte[] head, ReadOnlySpan<byte> body, CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            if (_connection is null)
            {
                _connection = connect(deadline.Token);
                _reader = new BufferedReader(_connection);
            }
            Stream connection = _connection;
            // A blocked read or write ends when the connection is closed under it.
            using CancellationTokenRegistration closeOnCancel = deadline.Token.Register(static c => ((Stream)c!).Dispose(), connection);
            connection.Write(head);
            connection.Write(body);
            connection.Flush();
            Answer answer = ReadAnswer(_reader!);
            if (answer.Headers.TryGetValue("connection", out string? value) && value.Contains("close", StringComparison.OrdinalIgnoreCase))
                Close();
            deadline.Token.ThrowIfCancellationRequested();
            return answer;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close();
            if (deadline.IsCancellationRequested)
                throw new OperationCanceledException($"no answer within {timeout.TotalSeconds:F0} s", e, deadline.Token);
            throw e as IOException ?? new IOException(e.Message, e);
        }
    }

    private byte[] Head(string method, IReadOnlyList<(string Name, string Value)> headers, int length)
    {
        var text = new StringBuilder(256);
        text.Append(CultureInfo.InvariantCulture, $"{method} {endpoint.PathAndQuery} HTTP/1.1\r\nHost: {endpoint.Authority}\r\n");
        foreach ((string name, string value) in headers)
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new DeliveryFailure($"the {name} header would hold a line break");   // a token file with two lines
            text.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        if (method != "GET" || length > 0)
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        text.Append("\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private Answer ReadAnswer(BufferedReader reader)
    {
        while (true)
        {
            string statusLine = reader.ReadLine(MaxLine);
            string[] parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
                throw new IOException($"not an HTTP/1.1 answer: '{(statusLine.Length > 80 ? statusLine[..80] : statusLine)}'");
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            for (string line = reader.ReadLine(MaxLine); line.Length > 0; line = reader.ReadLine(MaxLine))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    string name = line[..colon].Trim().ToLowerInvariant();
                    string value = line[(colon + 1)..].Trim();
                    headers[name] = headers.TryGetValue(name, out string? earlier) ? $"{earlier}, {value}" : value;
                }
            }
            if (status is >= 100 and < 200)
                continue;   // 100 Continue and friends: the answer follows
            byte[] body = status is 204 or 304 ? [] : ReadBody(reader, headers);
            return new Answer(status, parts.Length > 2 ? parts[2] : string.Empty, headers, body);
        }
    }

    private byte[] ReadBody(BufferedReader reader, Dictionary<string, string> headers)
    {
        if (headers.TryGetValue("transfer-encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                string sizeLine = reader.ReadLine(MaxLine);
                int semicolon = sizeLine.IndexOf(';', StringComparison.Ordinal);
                if (!int.TryParse(semicolon < 0 ? sizeLine : sizeLine[..semicolon], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int size)
                    || size < 0 || body.Length + size > MaxBody)
                    throw new IOException($"bad chunk size '{sizeLine}'");
                if (size == 0)
                {
                    while (reader.ReadLine(MaxLine).Length > 0)
                    {
                        // trailers, ignored
                    }
                    return body.ToArray();
                }
                body.Write(reader.ReadExactly(size));
                reader.ReadLine(MaxLine);
            }
        }
        if (headers.TryGetValue("content-length", out string? lengthText))
        {
            if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length > MaxBody)
                throw new IOException($"bad or too large Content-Length '{lengthText}'");
            return reader.ReadExactly(length);
        }
        // Neither: the body runs to the close, and the connection cannot be reused.
        byte[] rest = reader.ReadToEnd(MaxBody);
        Close();
        return rest;
    }

    private void Close()
    {
        try
        {
            _connection?.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // already broken
        }
        _connection = null;
        _reader = null;
    }

    public void Dispose() => Close();

    /// <summary>Opens a TCP connection to <paramref name="host"/>:<paramref name="port"/>, its name resolved here (the image's /etc/hosts and resolv.conf, through glibc).</summary>
    public static Socket ConnectTcp(string host, int port, CancellationToken cancel)
    {
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal) ? [literal] : Dns.GetHostAddresses(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.ConnectAsync(addresses, port, cancel).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Line and byte reads over a stream, with a buffer of its own.</summary>
    private sealed class BufferedReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[8192];
        private int _start, _end;

        public string ReadLine(int max)
        {
            var line = new List<byte>(128);
            while (true)
            {
                if (_start == _end)
                    Fill();
                int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                int stop = newline < 0 ? _end : newline;
                line.AddRange(_buffer.AsSpan(_start, stop - _start).ToArray());
                _start = newline < 0 ? _end : newline + 1;
                if (line.Count > max)
                    throw new IOException("an HTTP line is too long");
                if (newline >= 0)
                    return Encoding.Latin1.GetString([.. line]).TrimEnd('\r');
            }
        }

        public byte[] ReadExactly(int count)
        {
            byte[] bytes = new byte[count];
            int read = 0;
            while (read < count)
            {
                if (_start == _end)
                    Fill();
                int n = Math.Min(count - read, _end - _start);
                _buffer.AsSpan(_start, n).CopyTo(bytes.AsSpan(read));
                _start += n;
                read += n;
            }
            return bytes;
        }

        public byte[] ReadToEnd(int max)
        {
            var all = new MemoryStream();
            all.Write(_buffer, _start, _end - _start);
            _start = _end;
            int n;
            while (all.Length < max && (n = stream.Read(_buffer, 0, _buffer.Length)) > 0)
                all.Write(_buffer, 0, n);
            return all.ToArray();
        }

        private void Fill()
        {
            _start = 0;
            _end = stream.Read(_buffer, 0, _buffer.Length);
            if (_end <= 0)
            {
                _end = 0;
                throw new IOException("the server closed the connection");
            }
        }
    }
}
