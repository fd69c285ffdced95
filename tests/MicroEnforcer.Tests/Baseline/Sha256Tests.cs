using System.Text;
using MicroEnforcer.Baseline;
using Xunit;

namespace MicroEnforcer.Tests.Baseline;

public sealed class Sha256Tests
{
    // FIPS 180-4 example vectors (NIST CSRC "Examples with Intermediate Values", SHA-256).
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")]
    public void NistVectors(string message, string expectedHex)
    {
        byte[] data = Encoding.ASCII.GetBytes(message);

        Assert.Equal(expectedHex, OneShot(data));
        Assert.Equal(expectedHex, Convert.ToHexStringLower(Sha256.HashData(data)));

        var sha = new Sha256();
        foreach (byte b in data)
        {
            sha.Append([b]);
        }

        Assert.Equal(expectedHex, Finish(sha));
    }

    [Fact]
    public void OneMillionA()
    {
        const string Expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        byte[] data = new byte[1_000_000];
        data.AsSpan().Fill((byte)'a');

        Assert.Equal(Expected, OneShot(data));

        var sha = new Sha256();
        for (int i = 0; i < 1000; i++)
        {
            sha.Append(data.AsSpan(0, 1000));
        }

        Assert.Equal(Expected, Finish(sha));
    }

    [Fact]
    public void IncrementalAppendsAtEverySplitMatchOneShot()
    {
        byte[] data = new byte[130];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)((i * 7) + 3);
        }

        string expected = OneShot(data);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), expected);

        var sha = new Sha256();
        for (int split = 0; split <= data.Length; split++)
        {
            sha.Append(data.AsSpan(0, split));
            sha.Append(data.AsSpan(split));
            Assert.Equal(expected, Finish(sha));

            // Three pieces as well: exercises a pending partial block being topped up and flushed.
            int second = split + ((data.Length - split) / 2);
            sha.Append(data.AsSpan(0, split));
            sha.Append(data.AsSpan(split, second - split));
            sha.Append([]);
            sha.Append(data.AsSpan(second));
            Assert.Equal(expected, Finish(sha));
        }
    }

    [Fact]
    public void RandomLengthsMatchSystemSha256()
    {
        var random = new Random(20240611);
        var sha = new Sha256();

        for (int n = 0; n < 200; n++)
        {
            byte[] data = new byte[random.Next(0, 10_001)];
            random.NextBytes(data);
            string expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

            Assert.Equal(expected, OneShot(data));

            // The same bytes in random-sized chunks through one reused instance.
            int offset = 0;
            while (offset < data.Length)
            {
                int chunk = Math.Min(random.Next(0, 300), data.Length - offset);
                sha.Append(data.AsSpan(offset, chunk));
                offset += chunk;
            }

            Assert.Equal(expected, Finish(sha));
        }
    }

    [Fact]
    public void HashStreamMatchesSystemSha256()
    {
        byte[] data = new byte[(1024 * 1024) + 12_345];
        new Random(7).NextBytes(data);
        using var stream = new MemoryStream(data);

        byte[] actual = Sha256.HashStream(stream);

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), actual);
        Assert.Equal(data.Length, stream.Position);
    }

    [Fact]
    public void HashStreamOfEmptyStreamIsEmptyHash()
    {
        using var stream = new MemoryStream();

        Assert.Equal(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            Convert.ToHexStringLower(Sha256.HashStream(stream)));
    }

    [Fact]
    public void GetHashAndResetResetsTheInstance()
    {
        var sha = new Sha256();
        sha.Append("garbage that must not leak into the next hash"u8);
        _ = Finish(sha);

        sha.Append("abc"u8);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Finish(sha));
    }

    [Fact]
    public void ResetDiscardsAppendedData()
    {
        var sha = new Sha256();
        sha.Append("discarded"u8);
        sha.Reset();
        sha.Append("abc"u8);

        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Finish(sha));
    }

    [Fact]
    public void DestinationShorterThan32BytesThrows()
    {
        Assert.Throws<ArgumentException>(() => Sha256.HashData("abc"u8, new byte[31]));
        Assert.Throws<ArgumentException>(() => new Sha256().GetHashAndReset(new byte[31]));
    }

    private static string OneShot(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Sha256.HashSizeInBytes];
        Sha256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static string Finish(Sha256 sha)
    {
        Span<byte> hash = stackalloc byte[Sha256.HashSizeInBytes];
        sha.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }
}
