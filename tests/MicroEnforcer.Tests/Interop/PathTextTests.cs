using MicroEnforcer.Interop;
using MicroEnforcer.Baseline;
using Xunit;

namespace MicroEnforcer.Tests.Interop;

public sealed class PathTextTests
{
    public static TheoryData<byte[]> Names => new()
    {
        "/bin/ls"u8.ToArray(),
        "/tmp/caf\u00e9"u8.ToArray(),
        "/tmp/\U0001F600"u8.ToArray(),
        new byte[] { (byte)'/', 0xff },
        new byte[] { (byte)'/', 0xef, 0xbf, 0xbd },             // U+FFFD itself, validly encoded
        new byte[] { (byte)'/', 0xc3 },                         // truncated sequence
        new byte[] { (byte)'/', 0xe2, 0x82, (byte)'x' },        // broken in the middle
        new byte[] { (byte)'/', 0xed, 0xb2, 0x80 },             // an encoded surrogate: invalid UTF-8
        new byte[] { (byte)'/', 0xc0, 0xaf },                   // overlong '/'
        Enumerable.Range(1, 255).Select(b => (byte)b).ToArray(),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodeThenEncodeGivesTheSameBytes(byte[] name)
    {
        Assert.Equal(name, PathText.Encode(PathText.Decode(name)));
    }

    [Fact]
    public void DistinctInvalidNamesStayDistinct()
    {
        string a = PathText.Decode([(byte)'/', 0xff]);
        string b = PathText.Decode([(byte)'/', 0xfe]);
        string replacement = PathText.Decode([(byte)'/', 0xef, 0xbf, 0xbd]);

        Assert.NotEqual(a, b);
        Assert.NotEqual(a, replacement);
    }

    [Fact]
    public void ValidUtf8DecodesAsText()
    {
        Assert.Equal("/tmp/caf\u00e9", PathText.Decode("/tmp/caf\u00e9"u8));
    }

    [Fact]
    public void DisplayEscapesInvalidBytes()
    {
        Assert.Equal("/tmp/\\xff\\xfe-ok", PathText.Display(PathText.Decode([(byte)'/', (byte)'t', (byte)'m', (byte)'p', (byte)'/', 0xff, 0xfe, (byte)'-', (byte)'o', (byte)'k'])));
        Assert.Equal("/plain", PathText.Display("/plain"));
    }
}
