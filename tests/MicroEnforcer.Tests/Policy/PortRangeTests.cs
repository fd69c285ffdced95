using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Policy;

public class PortRangeTests
{
    [Theory]
    [InlineData("80", 80, 80, "80")]
    [InlineData("0", 0, 0, "0")]
    [InlineData("65535", 65535, 65535, "65535")]
    [InlineData("1-1023", 1, 1023, "1-1023")]
    [InlineData("5-5", 5, 5, "5")]
    [InlineData("0-65535", 0, 65535, "0-65535")]
    [InlineData("0080", 80, 80, "80")]
    public void TryParse_Accepts(string text, int first, int last, string printed)
    {
        Assert.True(PortRange.TryParse(text, out PortRange range, out string error), error);

        Assert.Equal((first, last), (range.First, range.Last));
        Assert.Equal(printed, range.ToString());
    }

    [Theory]
    [InlineData("65536", "port 65536 is out of range: ports are 0 to 65535")]
    [InlineData("1-70000", "port 70000 is out of range")]
    [InlineData("99999999999", "out of range")]
    [InlineData("1023-1", "'1023-1' is a reversed range")]
    [InlineData("1023-1", "did you mean 1-1023?")]
    [InlineData("http", "'http' is not a port or a range of ports")]
    [InlineData("-5", "'-5' is not a port")]
    [InlineData("1-", "'1-' is not a port")]
    [InlineData("1-2-3", "'1-2-3' is not a port")]
    [InlineData("+80", "'+80' is not a port")]
    [InlineData(" 80", "' 80' is not a port")]
    [InlineData("", "the port is empty")]
    public void TryParse_Refuses_WithTheReason(string text, string reason)
    {
        Assert.False(PortRange.TryParse(text, out _, out string error));

        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
