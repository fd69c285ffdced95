using MicroEnforcer.Network;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Network;

public class PortSetTests
{
    [Fact]
    public void Contains_TheListedPortsAndRanges_AndNothingElse()
    {
        var set = new PortSet([new PortRange(22, 22), new PortRange(6000, 6063), new PortRange(6060, 6070), new PortRange(65535, 65535)]);

        Assert.Equal(1 + 71 + 1, set.Count);
        foreach (int port in new[] { 22, 6000, 6063, 6064, 6070, 65535 })
            Assert.True(set.Contains(port), $"{port}");
        foreach (int port in new[] { 0, 21, 23, 5999, 6071, 65534, -1, 65536, int.MaxValue, int.MinValue })
            Assert.False(set.Contains(port), $"{port}");
    }

    [Fact]
    public void Empty_HoldsNothing_AndAFullRangeEverything()
    {
        Assert.True(PortSet.Empty.IsEmpty);
        Assert.False(PortSet.Empty.Contains(0));

        var all = new PortSet([new PortRange(0, PortRange.MaxPort)]);
        Assert.Equal(65536, all.Count);
        Assert.True(all.Contains(0) && all.Contains(443) && all.Contains(65535));
    }
}
