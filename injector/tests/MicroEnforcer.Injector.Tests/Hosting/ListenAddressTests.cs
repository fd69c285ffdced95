using System.Net;
using System.Net.Sockets;
using MicroEnforcer.Injector.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Hosting;

/// <summary>
/// The ListenAddress setting: the webhook binds that one address, reports it, and is not
/// reachable on another local address (127.0.0.2 is one on Linux: all of 127.0.0.0/8 is
/// loopback); empty binds every interface; anything but an IP address is refused at start.
/// </summary>
public sealed class ListenAddressTests
{
    private static async Task<TestWebhook> StartAsync(string listenAddress, params string[] args) =>
        await TestWebhook.StartAsync(new TableKubernetesApi(null), listen: null, o =>
        {
            o.Port = 0;
            if (args.Length == 0)
                o.ListenAddress = listenAddress;
        }, args);

    private static async Task<bool> AcceptsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }

    private static Uri Bound(TestWebhook webhook) => new(webhook.App.Urls.Single());

    [Fact]
    public async Task AnIPv4AddressIsTheOnlyOneListenedOn()
    {
        await using var webhook = await StartAsync("127.0.0.1");
        Uri bound = Bound(webhook);

        Assert.Equal("127.0.0.1", bound.Host);
        using var client = TestWebhook.Client(webhook.Certificate);
        Assert.Equal("ok\n", await client.GetStringAsync(new Uri(bound, "/healthz")));
        Assert.False(await AcceptsAsync(IPAddress.Parse("127.0.0.2"), bound.Port));
        Assert.False(await AcceptsAsync(IPAddress.IPv6Loopback, bound.Port));
    }

    [Fact]
    public async Task TheCommandLineSwitchSetsIt()
    {
        await using var webhook = await StartAsync("", "--listen-address", "127.0.0.1");
        Assert.Equal("127.0.0.1", Bound(webhook).Host);
        Assert.False(await AcceptsAsync(IPAddress.Parse("127.0.0.2"), Bound(webhook).Port));
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public async Task AnIPv6AddressIsTheOnlyOneListenedOn(string setting)
    {
        await using var webhook = await StartAsync(setting);
        Uri bound = Bound(webhook);

        Assert.Equal("[::1]", bound.Host);
        Assert.True(await AcceptsAsync(IPAddress.IPv6Loopback, bound.Port));
        Assert.False(await AcceptsAsync(IPAddress.Loopback, bound.Port));
    }

    [Fact]
    public async Task EmptyListensOnEveryInterface()
    {
        await using var webhook = await StartAsync("");
        Uri bound = Bound(webhook);

        Assert.Equal("[::]", bound.Host);
        Assert.True(await AcceptsAsync(IPAddress.Loopback, bound.Port));
        Assert.True(await AcceptsAsync(IPAddress.Parse("127.0.0.2"), bound.Port));
        Assert.True(await AcceptsAsync(IPAddress.IPv6Loopback, bound.Port));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("10.1")]
    [InlineData("010.0.0.1")]
    [InlineData("10.0.0.300")]
    [InlineData("1")]
    [InlineData("127.0.0.1:8443")]
    [InlineData("[127.0.0.1]")]
    [InlineData("::1]")]
    public void AnythingButAnAddressIsRefusedNamingTheSetting(string setting)
    {
        var e = Assert.Throws<OptionsValidationException>(() => WebhookServer.ParseListenAddress(setting));
        Assert.Contains($"Injector:ListenAddress (--listen-address, Injector__ListenAddress) '{setting}' is not an IPv4 or IPv6 address", e.Message);
    }

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.5")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("fd00::5", "fd00::5")]
    [InlineData("[fd00::5]", "fd00::5")]
    [InlineData(" ::1 ", "::1")]
    public void AddressesAreRead(string setting, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), WebhookServer.ParseListenAddress(setting));

    [Fact]
    public void ABadSettingStopsTheServerFromBeingBuilt()
    {
        var e = Assert.Throws<OptionsValidationException>(() => WebhookServer.Build([], o => o.ListenAddress = "webhook.local", new TableKubernetesApi(null)));
        Assert.Contains("'webhook.local' is not an IPv4 or IPv6 address", e.Message);
    }
}
