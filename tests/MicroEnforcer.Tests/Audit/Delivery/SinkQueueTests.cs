using MicroEnforcer.Audit.Delivery;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Delivery;

public sealed class SinkQueueTests
{
    [Fact]
    public void AFullQueue_RefusesAndCounts_WithoutExceedingItsBound()
    {
        var queue = new SinkQueue<int>(3);

        Assert.True(queue.Offer(1));
        Assert.True(queue.Offer(2));
        Assert.True(queue.Offer(3));
        Assert.False(queue.Offer(4));
        Assert.False(queue.Offer(5));

        Assert.Equal(3, queue.Count);
        Assert.Equal(2, queue.Dropped);
        Assert.Equal(2, queue.TakeDropped());
        Assert.Equal(0, queue.TakeDropped());   // each drop is reported once
    }

    [Fact]
    public void Take_MovesAtMostMax_InOrder_AndFreesTheirPlaces()
    {
        var queue = new SinkQueue<int>(4);
        for (int i = 1; i <= 4; i++)
            queue.Offer(i);
        var batch = new List<int>();

        Assert.Equal(3, queue.Take(batch, 3, TimeSpan.Zero));
        Assert.Equal([1, 2, 3], batch);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.Offer(5));
        Assert.True(queue.Offer(6));
        Assert.True(queue.Offer(7));
        Assert.False(queue.Offer(8));
        Assert.Equal(4, queue.Take(batch, 10, TimeSpan.Zero));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], batch);
    }

    [Fact]
    public void Take_OfAnEmptyQueue_WakesForAnOffer()
    {
        var queue = new SinkQueue<int>(4);
        var batch = new List<int>();
        var taker = new Thread(() => queue.Take(batch, 4, TimeSpan.FromMinutes(5)));
        taker.Start();

        queue.Offer(42);

        Assert.True(taker.Join(TimeSpan.FromMinutes(1)), "the waiting sender was not woken by the offer");
        Assert.Equal([42], batch);
    }

    /// <summary>
    /// Producers on many threads race a consumer: every offer is either taken once or counted as
    /// dropped, never both and never neither, and the queue never holds more than its capacity.
    /// </summary>
    [Fact]
    public void ConcurrentProducers_EveryOfferIsTakenOrCountedExactly()
    {
        const int Producers = 8, PerProducer = 50_000, Capacity = 1000;
        var queue = new SinkQueue<long>(Capacity);
        long accepted = 0, refused = 0;
        var taken = new List<long>();
        int producing = Producers;
        int highest = 0;

        var consumer = new Thread(() =>
        {
            var batch = new List<long>();
            while (Volatile.Read(ref producing) > 0 || queue.Count > 0)
            {
                highest = Math.Max(highest, queue.Count);
                queue.Take(batch, 97, TimeSpan.FromMilliseconds(1));
                taken.AddRange(batch);
                batch.Clear();
                Thread.Yield();
            }
        });
        consumer.Start();
        var producers = Enumerable.Range(0, Producers).Select(p => new Thread(() =>
        {
            for (int i = 0; i < PerProducer; i++)
            {
                if (queue.Offer(((long)p << 32) | (uint)i))
                    Interlocked.Increment(ref accepted);
                else
                    Interlocked.Increment(ref refused);
            }
            Interlocked.Decrement(ref producing);
        })).ToList();
        producers.ForEach(t => t.Start());
        producers.ForEach(t => t.Join());
        consumer.Join();

        Assert.Equal(Producers * PerProducer, accepted + refused);
        Assert.Equal(refused, queue.TakeDropped());
        Assert.Equal(accepted, taken.Count);
        Assert.Equal(taken.Count, taken.Distinct().Count());
        Assert.InRange(highest, 0, Capacity);
        Assert.True(refused > 0, "the producers never filled the queue: the test did not test dropping");
    }
}
