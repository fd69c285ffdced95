using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Network;

namespace MicroEnforcer.Tests.Network;

/// <summary>
/// A tiny DNS server on 127.0.0.1 (UDP and TCP, ports chosen by the kernel): every query is
/// answered with one A record, 192.0.2.53, and every name it was asked is recorded in order;
/// anything else is echoed.
/// It stands for the workload's real resolver behind the gate.
/// </summary>
internal sealed class TestDnsServer : IDisposable
{
    public static readonly IPAddress Address = IPAddress.Parse("192.0.2.53");

    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _tcp = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConcurrentQueue<string> _asked = new();

    public TestDnsServer()
    {
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _tcp.Listen();
        new Thread(ServeUdp) { IsBackground = true }.Start();
        new Thread(ServeTcp) { IsBackground = true }.Start();
    }

    public IPEndPoint Udp => (IPEndPoint)_udp.LocalEndPoint!;

    public IPEndPoint Tcp => (IPEndPoint)_tcp.LocalEndPoint!;

    /// <summary>The names asked so far, in the order the queries came.</summary>
    public IReadOnlyList<string> Asked => [.. _asked];

    public static byte[] Answer(ReadOnlySpan<byte> query)
    {
        int questionEnd = 12;
        while (query[questionEnd] != 0)
            questionEnd += query[questionEnd] + 1;
        questionEnd += 5;
        byte[] answer = [.. query[..questionEnd], 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. Address.GetAddressBytes()];
        answer[2] = (byte)(0x80 | (query[2] & 0x01));
        answer[3] = 0x80;
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(6), 1);
        answer.AsSpan(8, 4).Clear();
        return answer;
    }

    private byte[] Respond(ReadOnlySpan<byte> message)
    {
        var names = new List<string>();
        bool query = DnsMessage.TryReadQuestions(message, names);
        _asked.Enqueue(query ? string.Join(",", names) : "(not a query)");
        return query ? Answer(message) : message.ToArray();
    }

    private void ServeUdp()
    {
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                int n = _udp.ReceiveFrom(buffer, ref from);
                _udp.SendTo(Respond(buffer.AsSpan(0, n)), from);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void ServeTcp()
    {
        try
        {
            while (true)
            {
                Socket connection = _tcp.Accept();
                new Thread(() => ServeConnection(connection)) { IsBackground = true }.Start();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private void ServeConnection(Socket connection)
    {
        using (connection)
        {
            byte[] prefix = new byte[2];
            while (ReadExactly(connection, prefix))
            {
                byte[] query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                if (!ReadExactly(connection, query))
                    return;
                connection.Send(DnsTestMessages.Framed(Respond(query)));
            }
        }
    }

    public static bool ReadExactly(Socket socket, byte[] buffer)
    {
        for (int read = 0; read < buffer.Length;)
        {
            int n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
    }
}
