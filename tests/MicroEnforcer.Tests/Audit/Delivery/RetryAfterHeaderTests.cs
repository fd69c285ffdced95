using MicroEnforcer.Audit.Delivery;
using Xunit;

namespace MicroEnforcer.Tests.Audit.Delivery;

public sealed class RetryAfterHeaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2", 2)]
    [InlineData(" 120 ", 120)]
    [InlineData("0", 0)]
    [InlineData("Mon, 07 Dec 2026 03:00:30 GMT", 30)]
    [InlineData("Mon, 07 Dec 2026 02:59:00 GMT", 0)]       // a date past: no wait
    [InlineData("100000", 300)]                            // capped at five minutes
    [InlineData("Tue, 08 Dec 2026 03:00:00 GMT", 300)]
    public void SecondsOrAnHttpDate(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfterHeader.Parse(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("soon")]
    [InlineData("2026-12-07T03:00:30Z")]
    public void AnythingElse_IsNoRetryAfter(string? value) => Assert.Null(RetryAfterHeader.Parse(value, Now));
}
