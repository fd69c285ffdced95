using System.Net;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Network;

/// <summary>
/// One TCP connection through the gate: the client's (accepted) and the upstream's (connected by
/// the gate to the server the client's connect named), relayed both ways on the gate's thread.
///
/// Client to upstream, the stream is cut into length-prefixed messages, and each complete one is
/// screened before any of it is forwarded: a refused query never reaches the server, and its
/// NXDOMAIN goes back on the client's stream. Upstream to client, bytes pass as they come; the
/// gate only counts message boundaries, to slip a refusal in between two answers, never inside
/// one (RFC 7766 6.2.1.1: answers on one connection may come in any order; clients match them by
/// ID). Each direction holds at most one largest message (64 KiB) and is not read while full.
/// A half-close is passed on once what was read before it has been sent.
/// </summary>
internal sealed class DnsTcpRelay(int client, IPEndPoint peer, DnsExpectation expectation)
{
    /// <summary>Refusals waiting for a message boundary on the client's stream; past this the client is not read.</summary>
    private const int MaxPendingRefusals = 16;

    private readonly RelayBuffer _toUpstream = new(DnsStreamFraming.MaxFrameLength);
    private readonly RelayBuffer _toClient = new(DnsStreamFraming.MaxFrameLength);
    private readonly Queue<byte[]> _refusals = new();
    private int _screened;   // the first bytes of _toUpstream that are screened and may be sent
    private int _upstream = -1;
    private bool _connecting;
    private bool _clientEnded, _upstreamEnded, _upstreamShut, _clientShut;
    private int _answerPrefixSeen;   // bytes of the current answer's length prefix seen (0, 1)
    private int _answerPrefixHigh;
    private int _answerRemaining;    // bytes of the current answer not yet passed

    public int Client => client;

    public int Upstream => _upstream;

    public IPEndPoint Peer => peer;

    public DnsExpectation Expectation => expectation;

    public long LastActive { get; private set; } = Environment.TickCount64;

    /// <summary>Both directions have ended (or one failed): close it.</summary>
    public bool Finished { get; private set; }

    /// <summary>The upstream could not be connected: <see cref="Close"/> resets the client's connection, as the server's refusal would have.</summary>
    public bool Refused { get; private set; }

    /// <summary>Starts the upstream connect (non-blocking). False: it failed at once (errno in <paramref name="errno"/>); <see cref="Close"/> resets the client.</summary>
    public bool Connect(out int errno)
    {
        errno = 0;
        _upstream = GateSocket.Open(expectation.Upstream.AddressFamily, stream: true);
        if (_upstream >= 0 && GateSocket.Connect(_upstream, expectation.Upstream) == 0)
            return true;
        errno = Libc.LastErrno;
        if (_upstream >= 0 && errno == Libc.EINPROGRESS)
        {
            _connecting = true;
            return true;
        }
        Refused = Finished = true;
        return false;
    }

    /// <summary>Ends the connection at the next close (an error, or idle too long).</summary>
    public void Fail() => Finished = true;

    public short ClientEvents =>
        (short)((!_clientEnded && _toUpstream.Free > 0 && _refusals.Count < MaxPendingRefusals ? Libc.POLLIN : 0)
            | (_toClient.Count > 0 ? Libc.POLLOUT : 0));

    public short UpstreamEvents =>
        _connecting ? Libc.POLLOUT
        : (short)((!_upstreamEnded && _toClient.Free > 0 ? Libc.POLLIN : 0) | (_screened > 0 ? Libc.POLLOUT : 0));

    /// <summary>The client's socket is ready (<paramref name="revents"/> from poll).</summary>
    public void OnClient(short revents, DnsQueryScreen screen)
    {
        LastActive = Environment.TickCount64;
        if ((revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0)
        {
            Finished = true;
            return;
        }
        // POLLHUP is read and written like readiness: the read says the end, the write its errno.
        if ((revents & (Libc.POLLOUT | Libc.POLLHUP)) != 0 && _toClient.Count > 0 && !Send(client, _toClient))
            return;
        if ((revents & (Libc.POLLIN | Libc.POLLHUP)) != 0 && !_clientEnded && _toUpstream.Free > 0)
        {
            Span<byte> room = _toUpstream.ReadRoom();
            int n = GateSocket.Receive(client, room);
            if (n > 0)
            {
                _toUpstream.Commit(n);
                ScreenQueries(screen);
            }
            else if (n == 0 || Libc.LastErrno != Libc.EAGAIN)
            {
                _clientEnded = true;
            }
        }
        Progress();
    }

    /// <summary>The upstream's socket is ready.</summary>
    public void OnUpstream(short revents)
    {
        LastActive = Environment.TickCount64;
        if (_connecting)
        {
            if ((revents & (Libc.POLLOUT | Libc.POLLERR | Libc.POLLHUP)) == 0)
                return;
            _connecting = false;
            if (GateSocket.PendingError(_upstream) != 0)
            {
                Refused = true;
                Finished = true;
                return;
            }
        }
        else if ((revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0)
        {
            Finished = true;
            return;
        }
        if ((revents & (Libc.POLLIN | Libc.POLLHUP)) != 0 && !_upstreamEnded && _toClient.Free > 0)
        {
            Span<byte> room = _toClient.ReadRoom();
            int n = GateSocket.Receive(_upstream, room);
            if (n > 0)
            {
                CountAnswerBytes(room[..n]);
                _toClient.Commit(n);
            }
            else if (n == 0 || Libc.LastErrno != Libc.EAGAIN)
            {
                _upstreamEnded = true;
            }
        }
        if ((revents & (Libc.POLLOUT | Libc.POLLHUP)) != 0 && _screened > 0)
        {
            int n = GateSocket.Send(_upstream, _toUpstream.Data[.._screened]);
            if (n > 0)
            {
                _toUpstream.Consume(n);
                _screened -= n;
            }
            else if (n < 0 && Libc.LastErrno != Libc.EAGAIN)
            {
                Finished = true;
                return;
            }
        }
        Progress();
    }

    // Every complete message after the screened ones is screened in turn: a refused one is cut
    // out of the stream and its refusal queued for the client; the rest may be sent.
    private void ScreenQueries(DnsQueryScreen screen)
    {
        while (DnsStreamFraming.TryTakeMessage(_toUpstream.Data[_screened..], out Range message, out int frameLength))
        {
            byte[]? refusal = screen.Screen(_toUpstream.Data[_screened..][message], expectation, tcp: true);
            if (refusal is null)
            {
                _screened += frameLength;
                continue;
            }
            _toUpstream.Remove(_screened, frameLength);
            _refusals.Enqueue(DnsStreamFraming.Frame(refusal));
        }
    }

    // Follows the answers' length prefixes in the bytes passed to the client, so that a refusal
    // is put only between two answers.
    private void CountAnswerBytes(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_answerRemaining > 0)
            {
                int take = Math.Min(_answerRemaining, bytes.Length);
                _answerRemaining -= take;
                bytes = bytes[take..];
            }
            else if (_answerPrefixSeen == 0)
            {
                _answerPrefixHigh = bytes[0];
                _answerPrefixSeen = 1;
                bytes = bytes[1..];
            }
            else
            {
                _answerRemaining = (_answerPrefixHigh << 8) | bytes[0];
                _answerPrefixSeen = 0;
                bytes = bytes[1..];
            }
        }
    }

    private bool AtAnswerBoundary => _answerPrefixSeen == 0 && _answerRemaining == 0;

    // After any event: queued refusals into the client's stream at a boundary, each half-close
    // passed on once its direction is drained, and the end once both are.
    private void Progress()
    {
        if (_clientShut)
            _refusals.Clear();   // nothing more can reach the client
        while (_refusals.Count > 0 && AtAnswerBoundary && _toClient.Free >= _refusals.Peek().Length)
            _toClient.Append(_refusals.Dequeue());
        if (_clientEnded && !_upstreamShut && !_connecting && _screened == 0)
        {
            // A message the client left incomplete can never be answered: it ends with the stream.
            _toUpstream.Consume(_toUpstream.Count);
            Libc.Shutdown(_upstream, Libc.SHUT_WR);
            _upstreamShut = true;
        }
        if (_upstreamEnded && !_clientShut && _toClient.Count == 0 && (_refusals.Count == 0 || !AtAnswerBoundary))
        {
            Libc.Shutdown(client, Libc.SHUT_WR);
            _clientShut = true;
        }
        if (_clientShut && _upstreamShut)
            Finished = true;
    }

    private bool Send(int fd, RelayBuffer buffer)
    {
        int n = GateSocket.Send(fd, buffer.Data);
        if (n > 0)
            buffer.Consume(n);
        else if (n < 0 && Libc.LastErrno != Libc.EAGAIN)
        {
            Finished = true;
            return false;
        }
        return true;
    }

    public void Close()
    {
        if (Refused)
            GateSocket.Reset(client);
        else
            Libc.Close(client);
        if (_upstream >= 0)
            Libc.Close(_upstream);
    }
}
