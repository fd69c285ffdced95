using MicroEnforcer.Controls;
using MicroEnforcer.Procfs;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>Forensics' aggregation of connection events, on an injected clock.</summary>
public sealed class ConnectionAggregatorTests
{
    private long _now = 1_000;

    private ConnectionAggregator<string> Make(int aggregateAfter = 3, long intervalMs = 1000) => new(aggregateAfter, intervalMs, () => _now);

    [Fact]
    public void TheFirstOnesOfAnIntervalAreIndividualAndTheRestOneAggregateWhoseCountsAddUp()
    {
        var aggregator = Make();
        int individual = 0;
        for (int i = 0; i < 10_000; i++)
        {
            if (aggregator.Admit("inbound", "127.0.0.1:80", $"10.0.{i / 256}.{i % 256}", () => "first held back"))
                individual++;
        }
        Assert.Empty(aggregator.EndWindowIfDue());   // the interval is not over

        _now += 1000;
        var aggregate = Assert.Single(aggregator.EndWindowIfDue());

        Assert.Equal(3, individual);
        Assert.Equal(10_000 - 3, aggregate.Count);
        Assert.Equal(("inbound", "127.0.0.1:80", "first held back"), (aggregate.Kind, aggregate.Key, aggregate.First));
        Assert.Equal(ConnectionAggregator<string>.MaxDistinct, aggregate.DistinctRemotes);   // bounded
        Assert.Equal(["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.12"],
            aggregate.Remotes);
        Assert.Equal(1000, aggregate.IntervalMs);
    }

    [Fact]
    public void EachKeyHasItsOwnBudgetAndANewIntervalANewOne()
    {
        var aggregator = Make(aggregateAfter: 1);
        Assert.True(aggregator.Admit("inbound", "a:80", "r", () => "x"));
        Assert.True(aggregator.Admit("inbound", "b:80", "r", () => "x"));
        Assert.True(aggregator.Admit("outbound", "a:80", "r", () => "x"));
        Assert.False(aggregator.Admit("inbound", "a:80", "r", () => "x"));

        _now += 1000;
        Assert.Single(aggregator.EndWindowIfDue());
        Assert.True(aggregator.Admit("inbound", "a:80", "r", () => "x"));
        _now += 1000;
        Assert.Empty(aggregator.EndWindowIfDue());   // nothing held back: no aggregate
    }

    [Fact]
    public void DistinctRemotesAreCountedOnce()
    {
        var aggregator = Make(aggregateAfter: 0);
        foreach (string remote in new[] { "10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.1" })
            Assert.False(aggregator.Admit("inbound", "k", remote, () => "x"));
        _now += 1000;
        var aggregate = Assert.Single(aggregator.EndWindowIfDue());
        Assert.Equal((4, 2), (aggregate.Count, aggregate.DistinctRemotes));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], aggregate.Remotes);
    }

    [Fact]
    public void TheFirstProcessIsAskedOncePerKeyAndInterval()
    {
        var aggregator = Make(aggregateAfter: 0);
        int asked = 0;
        for (int i = 0; i < 100; i++)
            aggregator.Admit("outbound", "42", "r", () => $"process {++asked}");
        _now += 1000;
        Assert.Equal("process 1", Assert.Single(aggregator.EndWindowIfDue()).First);
        Assert.Equal(1, asked);
    }

    [Fact]
    public void KeysBeyondTheBoundGoToOneOverflowAggregate()
    {
        var aggregator = Make(aggregateAfter: 1);
        int individual = 0, total = ConnectionAggregator<string>.MaxKeys + 50;
        for (int i = 0; i < total; i++)
        {
            if (aggregator.Admit("outbound", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "r", () => "x"))
                individual++;
        }
        _now += 1000;
        var aggregate = Assert.Single(aggregator.EndWindowIfDue());
        Assert.Equal(ConnectionAggregator<string>.OverflowKey, aggregate.Key);
        Assert.Equal(total, individual + aggregate.Count);
    }

    [Fact]
    public void AnIdleAggregatorStartsItsIntervalAtTheNextConnection()
    {
        var aggregator = Make(aggregateAfter: 0);
        _now += 60_000;
        aggregator.Admit("inbound", "k", "r", () => "x");
        _now += 999;
        Assert.Empty(aggregator.EndWindowIfDue());
        _now += 1;
        Assert.Equal(1000, Assert.Single(aggregator.EndWindowIfDue()).IntervalMs);
    }

    [Fact]
    public void EndNowEndsTheIntervalAtOnce()
    {
        var aggregator = Make(aggregateAfter: 0);
        aggregator.Admit("inbound", "k", "r", () => "x");
        _now += 300;
        aggregator.EndNow();
        Assert.Equal(300, Assert.Single(aggregator.EndWindowIfDue()).IntervalMs);   // the time it really covered
    }

    [Theory]
    [InlineData("42 (sh) Z 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 768\n", 768)]
    [InlineData("42 (a) b) Z 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 9", 9)]
    [InlineData("42 (sh) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0", null)]
    public void AZombiesExitCodeIsStatFieldFiftyTwo(string stat, int? expected) =>
        Assert.Equal(expected, ProcExitCode.Parse(System.Text.Encoding.ASCII.GetBytes(stat)));
}
