using System.Buffers.Binary;
using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>A 32-bit caller's control messages in PID 1's 64-bit layout.</summary>
public sealed class ControlMessagesTests
{
    private static byte[] Compat(params (int Level, int Type, byte[] Data)[] messages)
    {
        var bytes = new List<byte>();
        foreach ((int level, int type, byte[] data) in messages)
        {
            byte[] header = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(12 + data.Length));
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), level);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), type);
            bytes.AddRange(header);
            bytes.AddRange(data);
            while (bytes.Count % 4 != 0)
                bytes.Add(0);
        }
        return [.. bytes];
    }

    [Fact]
    public void EachMessageGetsANativeHeaderAndEightByteAlignment()
    {
        byte[] native = ControlMessages.FromCompat(Compat((0, 1, [7]), (41, 50, [1, 2, 3, 4, 5, 6, 7, 8, 9])))!;

        Assert.Equal(17ul, BinaryPrimitives.ReadUInt64LittleEndian(native));          // 16 + 1
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(native.AsSpan(8)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(native.AsSpan(12)));
        Assert.Equal(7, native[16]);
        Assert.Equal(25ul, BinaryPrimitives.ReadUInt64LittleEndian(native.AsSpan(24)));   // second at 24: 17 aligned to 8
        Assert.Equal(41, BinaryPrimitives.ReadInt32LittleEndian(native.AsSpan(32)));
        Assert.Equal(50, BinaryPrimitives.ReadInt32LittleEndian(native.AsSpan(36)));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, native.AsSpan(40, 9).ToArray());
        Assert.Equal(0, native.Length % 8);
    }

    [Theory]
    [InlineData(11u)]     // shorter than its own header
    [InlineData(200u)]    // longer than the buffer
    public void AnImpossibleLengthIsRefused(uint length)
    {
        byte[] compat = Compat((0, 1, [7, 7, 7, 7]));
        BinaryPrimitives.WriteUInt32LittleEndian(compat, length);

        Assert.Null(ControlMessages.FromCompat(compat));
    }
}
