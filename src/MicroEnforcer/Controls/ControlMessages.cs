using System.Buffers.Binary;

namespace MicroEnforcer.Controls;

/// <summary>
/// Control messages (cmsg) of a 32-bit caller's sendmsg, in PID 1's 64-bit layout: a compat
/// cmsghdr is {u32 len, i32 level, i32 type} aligned to 4 bytes, a native one {u64 len, i32
/// level, i32 type} aligned to 8. The payloads are copied as they are: on an Internet socket
/// they are options (IP_TOS, IP_PKTINFO, UDP_SEGMENT...), never descriptors or credentials.
/// </summary>
internal static class ControlMessages
{
    private const int CompatHeader = 12, NativeHeader = 16;

    /// <summary>The native form, or null when a header's length is impossible (the kernel answers EINVAL).</summary>
    public static byte[]? FromCompat(ReadOnlySpan<byte> compat)
    {
        var native = new List<byte>(compat.Length * 2);
        Span<byte> header = stackalloc byte[NativeHeader];
        int at = 0;
        while (compat.Length - at >= CompatHeader)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(compat[at..]);
            if (length < CompatHeader || length > compat.Length - at)
                return null;
            int payload = (int)length - CompatHeader;
            BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)(NativeHeader + payload));
            compat.Slice(at + 4, 8).CopyTo(header[8..]);
            native.AddRange(header);
            native.AddRange(compat.Slice(at + CompatHeader, payload));
            while (native.Count % 8 != 0)
                native.Add(0);
            at += (int)((length + 3) & ~3u);
        }
        return [.. native];
    }
}
