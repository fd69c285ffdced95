using System.Buffers.Binary;
using System.Text;

namespace MicroEnforcer.Tests.Network;

/// <summary>DNS messages as a resolver writes them, built byte by byte (RFC 1035 4.1).</summary>
internal static class DnsTestMessages
{
    public const byte TypeA = 1, ClassIn = 1;

    /// <summary>A recursive query for the A records of <paramref name="names"/> (one question each, no compression).</summary>
    public static byte[] Query(ushort id, params string[] names)
    {
        var message = new List<byte>(Header(id, flags: 0x0100, questions: names.Length));
        foreach (string name in names)
        {
            message.AddRange(Name(name));
            message.AddRange(TypeAndClass());
        }
        return [.. message];
    }

    public static byte[] Header(ushort id, ushort flags, int questions, int answers = 0, int authorities = 0, int additional = 0)
    {
        byte[] header = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), (ushort)authorities);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)additional);
        return header;
    }

    /// <summary>A name as length-prefixed labels ending with the root's zero.</summary>
    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    public static byte[] TypeAndClass() => [0, TypeA, 0, ClassIn];

    /// <summary>An EDNS OPT pseudo-record (RFC 6891) for the additional section: 1232-byte UDP payload.</summary>
    public static byte[] EdnsOpt() => [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0];

    public static ushort Id(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    public static int Rcode(ReadOnlySpan<byte> message) => message[3] & 0x0F;

    public static int Answers(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[6..]);

    /// <summary><paramref name="message"/> with its 2-byte length prefix, as on a TCP stream.</summary>
    public static byte[] Framed(byte[] message)
    {
        byte[] frame = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame, 2);
        return frame;
    }
}
