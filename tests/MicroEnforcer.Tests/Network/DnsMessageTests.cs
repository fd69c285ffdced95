using MicroEnforcer.Network;
using Xunit;
using static MicroEnforcer.Tests.Network.DnsTestMessages;

namespace MicroEnforcer.Tests.Network;

/// <summary>The questions of a query read from untrusted bytes, and the answer that refuses it.</summary>
public sealed class DnsMessageTests
{
    [Fact]
    public void AQuestionIsReadLowercasedWithoutTheTrailingDot()
    {
        var names = new List<string>();

        Assert.True(DnsMessage.TryReadQuestions(Query(7, "WWW.Example.COM."), names));

        Assert.Equal(["www.example.com"], names);
    }

    [Fact]
    public void EveryQuestionIsRead()
    {
        var names = new List<string>();

        Assert.True(DnsMessage.TryReadQuestions(Query(7, "a.test", "b.example", "."), names));

        Assert.Equal(["a.test", "b.example", ""], names);
    }

    [Fact]
    public void ACompressionPointerToAnEarlierNameIsFollowed()
    {
        // Question 1 at offset 12: example.com; question 2: "www" then a pointer to offset 12.
        byte[] query = [.. Header(1, 0x0100, questions: 2), .. Name("example.com"), .. TypeAndClass(), 3, (byte)'w', (byte)'w', (byte)'w', 0xC0, 12, .. TypeAndClass()];
        var names = new List<string>();

        Assert.True(DnsMessage.TryReadQuestions(query, names));

        Assert.Equal(["example.com", "www.example.com"], names);
    }

    [Fact]
    public void APointerThatLoopsOrLeadsForwardIsRefused()
    {
        var names = new List<string>();
        byte[] toItself = [.. Header(1, 0x0100, questions: 1), 0xC0, 12, .. TypeAndClass()];
        // Question 2 (offset 19) is "b" then a pointer back to its own start: b.b.b... for ever.
        byte[] toItsOwnName = [.. Header(1, 0x0100, questions: 2), .. Name("a"), .. TypeAndClass(), 1, (byte)'b', 0xC0, 19, .. TypeAndClass()];
        byte[] forward = [.. Header(1, 0x0100, questions: 1), 1, (byte)'a', 0xC0, 16, 0, .. TypeAndClass()];
        byte[] intoTheHeader = [.. Header(1, 0x0100, questions: 1), 0xC0, 2, .. TypeAndClass()];

        Assert.False(DnsMessage.TryReadQuestions(toItself, names));
        Assert.False(DnsMessage.TryReadQuestions(toItsOwnName, names));
        Assert.False(DnsMessage.TryReadQuestions(forward, names));
        Assert.False(DnsMessage.TryReadQuestions(intoTheHeader, names));
        Assert.Empty(names);
    }

    [Fact]
    public void EveryTruncationOfAQueryIsRefusedAndAddsNothing()
    {
        byte[] query = Query(9, "first.test", "second.example.org");
        var names = new List<string>();

        for (int length = 0; length < query.Length; length++)
            Assert.False(DnsMessage.TryReadQuestions(query.AsSpan(0, length), names), $"a query cut at {length} bytes was read");

        Assert.Empty(names);   // the first question, complete in most cuts, was taken back
    }

    [Fact]
    public void ANameLongerThan255BytesIsRefused()
    {
        string label = new('a', 63);
        var names = new List<string>();

        Assert.True(DnsMessage.TryReadQuestions(Query(1, $"{label}.{label}.{label}.{new string('b', 61)}"), names));   // 255 bytes on the wire
        Assert.False(DnsMessage.TryReadQuestions(Query(1, $"{label}.{label}.{label}.{new string('b', 62)}"), names));
    }

    [Fact]
    public void AResponseOrAMessageWithoutQuestionsIsNoQuery()
    {
        byte[] response = Query(1, "a.test");
        response[2] |= 0x80;
        var names = new List<string>();

        Assert.False(DnsMessage.TryReadQuestions(response, names));
        Assert.False(DnsMessage.TryReadQuestions(Header(1, 0x0100, questions: 0), names));
        Assert.False(DnsMessage.TryReadQuestions([0x16, 0x03, 0x01, 0x00], names));   // a TLS record's first bytes: not DNS
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(15);
        var names = new List<string>();
        byte[] message = new byte[96];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(message);
            message[2] &= 0x7F;               // a query
            message[4] = 0;
            message[5] = (byte)(i % 4 + 1);   // with a few questions
            if (i % 2 == 0)
                message[12] = (byte)(0xC0 | (i & 1));   // often a pointer
            names.Clear();
            DnsMessage.TryReadQuestions(message.AsSpan(0, random.Next(message.Length)), names);
        }
    }

    [Fact]
    public void TheRefusalEchoesTheIdAndTheQuestionWithNxdomain()
    {
        byte[] query = [.. Header(0xBEEF, 0x0110, questions: 1, additional: 1), .. Name("Miner.Pool.test"), .. TypeAndClass(), .. EdnsOpt()];

        byte[] refusal = DnsMessage.Refusal(query, DnsRefusal.NameError);

        Assert.Equal(0xBEEF, Id(refusal));
        Assert.Equal(0x81, refusal[2]);     // QR, opcode QUERY, RD as asked
        Assert.Equal(0x93, refusal[3]);     // RA, CD as asked, NXDOMAIN
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0], refusal[4..12]);   // the question, no records: the OPT record is dropped
        Assert.Equal(query[12..^EdnsOpt().Length], refusal[12..]);
    }

    [Fact]
    public void TheRefusalCanBeRefusedInsteadAndSaysNoRecursionWhenNoneWasAsked()
    {
        byte[] query = [.. Header(3, 0x0000, questions: 1), .. Name("a.test"), .. TypeAndClass()];

        byte[] refusal = DnsMessage.Refusal(query, DnsRefusal.Refused);

        Assert.Equal(0x80, refusal[2]);
        Assert.Equal(0x05, refusal[3]);
    }

    [Fact]
    public void NoRefusalIsBuiltForWhatIsNoQuery()
    {
        Assert.Throws<ArgumentException>(() => DnsMessage.Refusal(Query(1, "a.test").AsSpan(0, 15), DnsRefusal.NameError));
    }

    [Fact]
    public void AStreamIsCutIntoItsLengthPrefixedMessages()
    {
        byte[] first = Query(1, "a.test"), second = Query(2, "b.test");
        byte[] stream = [.. Framed(first), .. Framed(second)];

        Assert.True(DnsStreamFraming.TryTakeMessage(stream, out Range message, out int frameLength));
        Assert.Equal(first, stream[message]);
        Assert.True(DnsStreamFraming.TryTakeMessage(stream.AsSpan(frameLength), out message, out int secondLength));
        Assert.Equal(second, stream.AsSpan(frameLength)[message].ToArray());
        Assert.Equal(stream.Length, frameLength + secondLength);
        Assert.False(DnsStreamFraming.TryTakeMessage(stream.AsSpan(0, frameLength - 1), out _, out _));
        Assert.False(DnsStreamFraming.TryTakeMessage(stream.AsSpan(0, 1), out _, out _));
        Assert.Equal(Framed(first), DnsStreamFraming.Frame(first));
    }
}
