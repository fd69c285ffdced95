using System.Buffers.Binary;

namespace MicroEnforcer.Network;

/// <summary>
/// DNS over TCP (RFC 1035 4.2.2, RFC 7766 8): each message is preceded by its length, two bytes
/// in network order, and a stream may carry several messages in one segment or one message over
/// several. A frame is at most 2 + 65535 bytes.
/// </summary>
internal static class DnsStreamFraming
{
    public const int PrefixLength = 2;
    public const int MaxFrameLength = PrefixLength + ushort.MaxValue;

    /// <summary>
    /// Whether <paramref name="stream"/> starts with a complete frame: then <paramref name="message"/>
    /// is where its message lies in the stream, and <paramref name="frameLength"/> how many bytes it
    /// takes with its prefix.
    /// </summary>
    public static bool TryTakeMessage(ReadOnlySpan<byte> stream, out Range message, out int frameLength)
    {
        message = default;
        frameLength = 0;
        if (stream.Length < PrefixLength)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(stream);
        if (stream.Length < PrefixLength + length)
            return false;
        frameLength = PrefixLength + length;
        message = PrefixLength..frameLength;
        return true;
    }

    /// <summary><paramref name="message"/> with its length prefix.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        byte[] frame = new byte[PrefixLength + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame.AsSpan(PrefixLength));
        return frame;
    }
}
