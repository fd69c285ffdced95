using System.Buffers.Binary;

namespace MicroEnforcer.Network;

/// <summary>
/// Reads the questions of a DNS query (RFC 1035 4.1) from bytes the workload sent, and builds the
/// answer that refuses one.
///
/// Written here rather than taken from a library: DnsClient (whose DnsDatagramReader is public
/// since 1.7, without a promise of stability), ARSoft.Tools.Net (which depends on BouncyCastle,
/// for DNSSEC) and Makaretu.Dns model whole messages, records and resolvers and allocate an
/// object graph per message; PID 1 needs only the question names of untrusted bytes, with bounds
/// it states itself and tests: a compression pointer must point before the last place a pointer
/// led to (a chain of pointers cannot loop, and every encoder points back at names it wrote
/// before), a name is at most 255 bytes on the wire (RFC 1035 3.1), and nothing is read past the
/// message's end.
/// </summary>
internal static class DnsMessage
{
    public const int HeaderLength = 12;

    /// <summary>RFC 1035 3.1: a name is at most 255 bytes on the wire, its length bytes included.</summary>
    public const int MaxNameLength = 255;

    private const byte QueryResponse = 0x80, RecursionDesired = 0x01, RecursionAvailable = 0x80, CheckingDisabled = 0x10;

    /// <summary>
    /// Adds the names <paramref name="message"/> asks about to <paramref name="names"/>, lowercased
    /// (ASCII; other bytes are kept as Latin-1 characters) and without the trailing dot; the root
    /// is "". False when it is not a query (QR set), has no question, or a question does not parse:
    /// then nothing is added.
    /// </summary>
    public static bool TryReadQuestions(ReadOnlySpan<byte> message, List<string> names)
    {
        int added = names.Count;
        if (!TryReadQuestionSection(message, names, out _))
        {
            names.RemoveRange(added, names.Count - added);
            return false;
        }
        return true;
    }

    /// <summary>
    /// The answer to <paramref name="query"/> that refuses it: its ID, opcode, RD and CD bits and
    /// question section echoed, QR set, RA as RD (a recursive answer to a recursive question), no
    /// records (an EDNS OPT record is dropped: a resolver takes a plain answer to an EDNS query).
    /// </summary>
    /// <exception cref="ArgumentException">The query does not parse (see <see cref="TryReadQuestions"/>).</exception>
    public static byte[] Refusal(ReadOnlySpan<byte> query, DnsRefusal kind)
    {
        if (!TryReadQuestionSection(query, names: null, out int end))
            throw new ArgumentException("not a DNS query with a question", nameof(query));
        // The question section keeps its offsets: a compression pointer inside it still points
        // at the same bytes. One pointing past it (into a record the answer drops) only spoils the
        // answer to the query that sent it.
        byte[] answer = query[..end].ToArray();
        bool recursive = (query[2] & RecursionDesired) != 0;
        answer[2] = (byte)(QueryResponse | (query[2] & 0x78) | (query[2] & RecursionDesired));   // QR, opcode, RD; AA and TC clear
        answer[3] = (byte)((recursive ? RecursionAvailable : 0) | (query[3] & CheckingDisabled) | (kind == DnsRefusal.Refused ? 5 : 3));
        answer.AsSpan(6, 6).Clear();   // ANCOUNT, NSCOUNT, ARCOUNT
        return answer;
    }

    /// <summary>
    /// The question section of a query: its end, and (when <paramref name="names"/> is given) its
    /// names added in order. Each question is at least 5 bytes (a root name, type and class), so
    /// QDCOUNT is bounded by the message's length and needs no limit of its own.
    /// </summary>
    private static bool TryReadQuestionSection(ReadOnlySpan<byte> message, List<string>? names, out int end)
    {
        end = 0;
        if (message.Length < HeaderLength || (message[2] & QueryResponse) != 0)
            return false;
        int count = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        if (count == 0)
            return false;
        int offset = HeaderLength;
        Span<char> text = stackalloc char[MaxNameLength];
        for (int i = 0; i < count; i++)
        {
            if (!TryReadName(message, ref offset, text, out int length) || offset + 4 > message.Length)
                return false;
            offset += 4;   // QTYPE, QCLASS
            names?.Add(new string(text[..length]));
        }
        end = offset;
        return true;
    }

    /// <summary>
    /// Reads the name at <paramref name="offset"/> (moved past it: past its first pointer, if it
    /// has one) into <paramref name="text"/> as dotted lowercase text.
    /// </summary>
    internal static bool TryReadName(ReadOnlySpan<byte> message, ref int offset, Span<char> text, out int length)
    {
        length = 0;
        int position = offset;
        int segmentStart = offset;   // a pointer must lead before this: the chain cannot loop
        int wireLength = 0;
        bool jumped = false;
        while (true)
        {
            if (position >= message.Length)
                return false;
            byte label = message[position];
            switch (label & 0xC0)
            {
                case 0xC0:
                    if (position + 1 >= message.Length)
                        return false;
                    int target = ((label & 0x3F) << 8) | message[position + 1];
                    if (target >= segmentStart || target < HeaderLength)
                        return false;
                    if (!jumped)
                        offset = position + 2;
                    jumped = true;
                    position = segmentStart = target;
                    continue;
                case 0x00:
                    break;
                default:
                    return false;   // 0x40 and 0x80: extended and reserved label types, which no resolver sends
            }
            wireLength += label + 1;
            if (wireLength > MaxNameLength)
                return false;
            if (label == 0)
            {
                if (!jumped)
                    offset = position + 1;
                return true;
            }
            if (position + 1 + label > message.Length)
                return false;
            if (length > 0)
                text[length++] = '.';
            foreach (byte b in message.Slice(position + 1, label))
                text[length++] = b is >= (byte)'A' and <= (byte)'Z' ? (char)(b | 0x20) : (char)b;
            position += 1 + label;
        }
    }
}
