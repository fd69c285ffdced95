using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MicroEnforcer.Samples.AuditReceiver;

/// <summary>
/// A syslog receiver over TCP for the demo: reads RFC 6587 frames, octet-counted ("LEN SP MSG",
/// what RFC 5425 and the enforcer send) or newline-terminated, and hands each message on.
/// Hand-written because the demo wants each message printed the moment it arrives, in the same
/// console as the OTLP receiver; the integration tests use a real rsyslog instead.
/// </summary>
internal sealed class SyslogListener(int port, Action<string> onMessage)
{
    public void Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        new Thread(() =>
        {
            while (true)
            {
                TcpClient client = listener.AcceptTcpClient();
                new Thread(() => Serve(client)) { IsBackground = true }.Start();
            }
        }) { IsBackground = true, Name = "syslog-accept" }.Start();
    }

    private void Serve(TcpClient client)
    {
        using (client)
        {
            using var stream = new BufferedStream(client.GetStream());
            try
            {
                while (ReadFrame(stream) is { } message)
                    onMessage(message);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string? ReadFrame(Stream stream)
    {
        int first = stream.ReadByte();
        if (first < 0)
            return null;
        var bytes = new List<byte>();
        if (first is >= '1' and <= '9')
        {
            int length = first - '0';
            for (int b = stream.ReadByte(); b != ' '; b = stream.ReadByte())
            {
                if (b is < '0' or > '9')
                    throw new IOException("a malformed octet count");
                length = (length * 10) + (b - '0');
            }
            byte[] message = new byte[length];
            stream.ReadExactly(message);
            return Encoding.UTF8.GetString(message);
        }
        for (int b = first; b is >= 0 and not '\n'; b = stream.ReadByte())
            bytes.Add((byte)b);
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
