using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Network;

/// <summary>
/// A workload script run in a container of the network-tools image (<see cref="ImageRootfs.WithNetworkTools"/>):
/// its own network namespace, loopback only, with fd66::1 on the loopback too (an IPv6 address
/// that is not ::1, put there from the host side before PID 1 starts, so that the workload's own
/// netlink calls are not part of the setup). No traffic leaves the container: every address the
/// tests reach (127.0.0.0/8, ::1, fd66::1) is its loopback's.
/// </summary>
internal static class NetworkRun
{
    /// <summary>TestPrograms/net_attack.c in the image.</summary>
    public const string Attack = "/opt/tests/net_attack";

    /// <summary>A listed IPv6 address that the container's loopback has.</summary>
    public const string ListedV6 = "fd66::1";

    private static readonly Lazy<string> s_wrapper = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("microenforcer-net-").FullName;
        string wrapper = Path.Combine(dir, "add-addresses");
        File.WriteAllText(wrapper, $"#!/bin/sh\n/bin/busybox ip -6 addr add {ListedV6}/128 dev lo || exit 70\nexec \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755
        return wrapper;
    });

    public static RunResult Run(ITestOutputHelper output, string script, string? policy, Action<string>? prepareLayer = null)
    {
        var r = Container.Run(["/bin/sh", "-c", script], policy, image: ImageRootfs.WithNetworkTools, prepareLayer: prepareLayer,
            pid1Wrapper: s_wrapper.Value, timeout: TimeSpan.FromSeconds(120));
        output.WriteLine(r.ToString());
        return r;
    }

    /// <summary>A policy with the given sections under spec (each line indented by two spaces).</summary>
    public static string Policy(string sections) =>
        "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec:\n" +
        string.Join('\n', sections.Split('\n').Select(line => "  " + line)) + "\n";

    /// <summary>
    /// net_attack's command for an attack on HOST:PORT. udp_connect_sendto also names the peer its
    /// socket is connected to first: port 8080 on the same family's loopback.
    /// </summary>
    public static string AttackCommand(string attack, string host, int port)
    {
        string command = $"{Attack} {attack} {host} {port}";
        if (attack != "udp_connect_sendto")
            return command;
        string peer = !host.Contains(':') ? "127.0.0.1" : host.StartsWith("::ffff:", StringComparison.OrdinalIgnoreCase) ? "::ffff:127.0.0.1" : "::1";
        return $"{command} {peer} 8080";
    }

    /// <summary>How net_attack writes an endpoint: 127.0.0.1:4444, [::1]:4444.</summary>
    public static string Endpoint(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>
    /// How the audit event writes the remote or local endpoint: an IPv4-mapped IPv6 address is
    /// normalised to IPv4 (the design's NetworkCall), so ::ffff:127.0.0.1 is reported as 127.0.0.1.
    /// </summary>
    public static string Reported(string host, int port) =>
        host.StartsWith("::ffff:", StringComparison.OrdinalIgnoreCase) && !host[7..].Contains(':') ? Endpoint(host[7..], port) : Endpoint(host, port);

    public static string Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.ToString() : "";

    /// <summary>
    /// Asserts that the run has an event of this control and action whose named fields have these
    /// values (fields left null are not looked at), and returns it.
    /// </summary>
    public static JsonElement AssertEvent(RunResult r, string control, string action, string? syscall = null, string? remote = null,
        string? local = null, string? protocol = null, string? domain = null)
    {
        var events = r.Events(control, action).ToList();
        var match = events.Where(e =>
            (syscall is null || Field(e, "syscall") == syscall) &&
            (remote is null || Field(e, "remote") == remote) &&
            (local is null || Field(e, "local") == local) &&
            (protocol is null || Field(e, "protocol") == protocol) &&
            (domain is null || Field(e, "domain").TrimEnd('.').Equals(domain, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(match.Count > 0,
            $"no {control}/{action} event with syscall={syscall} remote={remote} local={local} protocol={protocol} domain={domain}; " +
            $"the run's events:\n{string.Join('\n', r.AuditEvents.Select(e => e.ToString()))}");
        return match[0];
    }

    /// <summary>No event of these controls at all: nothing was refused or reported.</summary>
    public static void AssertNoEvents(RunResult r, params string[] controls)
    {
        var found = r.AuditEvents.Where(e => controls.Contains(Field(e, "control"))).ToList();
        Assert.True(found.Count == 0, $"unexpected events:\n{string.Join('\n', found.Select(e => e.ToString()))}");
    }
}
