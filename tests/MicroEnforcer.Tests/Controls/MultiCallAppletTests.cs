using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>The applet busybox (or toybox) runs, chosen by argv as its appletlib.c chooses it.</summary>
public class MultiCallAppletTests
{
    [Theory]
    [InlineData(new[] { "wget", "http://x" }, "wget")]
    [InlineData(new[] { "/usr/bin/wget" }, "wget")]
    [InlineData(new[] { "-sh" }, "sh")]                          // a login shell
    [InlineData(new[] { "busybox", "wget", "http://x" }, "wget")] // the multiplexer takes argv[1]
    [InlineData(new[] { "/bin/busybox", "/usr/bin/nc", "-l" }, "nc")]
    [InlineData(new[] { "busybox", "busybox", "nc" }, "nc")]     // nested multiplexers
    [InlineData(new[] { "busybox-1.36", "nc" }, "nc")]           // any name starting with busybox
    [InlineData(new[] { "-busybox", "nc" }, "nc")]
    [InlineData(new[] { "busybox" }, "busybox")]                 // prints its help
    [InlineData(new[] { "busybox", "--list" }, "busybox")]
    [InlineData(new[] { "busybox", "--help", "wget" }, "busybox")]
    [InlineData(new[] { "exe" }, "exe")]                         // /proc/self/exe as argv[0]: no such applet
    [InlineData(new string[0], "")]
    public void Busybox(string[] argv, string expected)
    {
        Assert.Equal(expected, MultiCallApplet.Of("/bin/busybox", argv));
    }

    [Theory]
    [InlineData(new[] { "toybox", "nc" }, "nc")]
    [InlineData(new[] { "busybox", "nc" }, "busybox")]   // toybox has no applet of that name
    public void Toybox(string[] argv, string expected)
    {
        Assert.Equal(expected, MultiCallApplet.Of("/usr/bin/toybox", argv));
    }
}
