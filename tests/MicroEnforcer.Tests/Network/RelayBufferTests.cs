using MicroEnforcer.Network;
using Xunit;

namespace MicroEnforcer.Tests.Network;

/// <summary>A TCP relay direction's bytes: bounded, grown with what it holds, refused messages cut out.</summary>
public sealed class RelayBufferTests
{
    [Fact]
    public void ItGrowsToItsCapacityAndNoFurther()
    {
        var buffer = new RelayBuffer(10_000);
        int read = 0;
        while (buffer.ReadRoom() is { Length: > 0 } room)
        {
            room.Fill((byte)read);
            buffer.Commit(room.Length);
            read += room.Length;
        }

        Assert.Equal(10_000, read);
        Assert.Equal(0, buffer.Free);
    }

    [Fact]
    public void ASmallBufferOffersRoomWithoutGrowing()
    {
        var buffer = new RelayBuffer(DnsStreamFraming.MaxFrameLength);

        Assert.Equal(4096, buffer.ReadRoom().Length);
    }

    [Fact]
    public void BytesAreConsumedFromTheFrontAndCutFromTheMiddle()
    {
        var buffer = new RelayBuffer(100);
        buffer.Append([1, 2, 3, 4, 5, 6, 7, 8]);

        buffer.Consume(2);
        buffer.Remove(1, 3);
        buffer.Append([9]);

        Assert.Equal([3, 7, 8, 9], buffer.Data.ToArray());
        Assert.Equal(96, buffer.Free);
    }
}
