using System.Text.RegularExpressions;
using MicroEnforcer.IntegrationTests.Audit.Receivers;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Audit;

/// <summary>
/// A workload under the enforcer whose audit sinks are receivers the test runs on the host's
/// loopback: the container keeps the host's network namespace (<see cref="Container.RunRaw"/>), so
/// PID 1 reaches them; every other namespace is the container's own as usual. PID 1's
/// environment (the sink and resource variables the injector sets) is given through env(1)
/// before chroot.
/// </summary>
internal static partial class SinkRun
{
    /// <summary>A drifted exec: a copy of an image binary under a new name, run once (blocked, exit 126).</summary>
    public static string DriftExec(string name) => $"cp /bin/true /bin/{name}; /bin/{name}; echo \"{name}=$?\"";

    /// <summary>The shell loop a workload waits in until the test creates /tmp/NAME in the container.</summary>
    public static string WaitFor(string name) => $"while [ ! -e /tmp/{name} ]; do sleep 0.1; done";

    /// <summary>Lets a workload waiting in <see cref="WaitFor"/> go on.</summary>
    public static void Signal(RunningContainer container, string name) =>
        File.WriteAllText($"/proc/{container.Pid1}/root/tmp/{name}", "");

    /// <summary>A policy with spec.audit (queue size, flush timeout, sinks as YAML list items) and other sections.</summary>
    public static string Policy(string sinks, int queueSize = 10000, string flushTimeout = "30s", string sections = "") =>
        "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec:\n" +
        $"  audit:\n    queueSize: {queueSize}\n    flushTimeout: {flushTimeout}\n    sinks:\n" +
        string.Join('\n', sinks.Trim('\n').Split('\n').Select(line => "      " + line)) + "\n" +
        (sections.Length == 0 ? "" : string.Join('\n', sections.Trim('\n').Split('\n').Select(line => "  " + line)) + "\n");

    public static string OtlpSink(OtlpReceiver receiver, string timeout = "2s") =>
        $"- type: otlp\n  endpoint: {receiver.Endpoint}\n  timeout: {timeout}";

    public static string FalcoSink(FalcoReceiver receiver, string timeout = "2s") =>
        $"- type: falco\n  endpoint: {receiver.Endpoint}\n  timeout: {timeout}";

    public static string SyslogSink(RsyslogServer server) =>
        $"- type: syslog\n  address: {server.Address}\n  facility: local0\n  appName: microenforcer" +
        (server.CaPem is null ? "" : $"\n  tls: true\n  caFile: {CaFileInContainer}");

    /// <summary>Where <see cref="Run"/> puts a TLS receiver's CA in the container (the sinks' caFile).</summary>
    public const string CaFileInContainer = "/etc/sinktests-ca.pem";

    public const string StderrSink = "- type: stderr";

    // The OTLP attributes the tests read (docs/audit-sinks.md: semantic conventions where one
    // fits, microenforcer.* otherwise).
    public const string Control = "microenforcer.control";
    public const string ActionKey = "microenforcer.action";
    public const string Pid = "process.pid";
    public const string ExecutablePath = "process.executable.path";
    public const string DroppedCountKey = "microenforcer.dropped.count";

    /// <summary>env(1) setting PID 1's variables, as the wrapper PID 1 is exec'd through.</summary>
    public static string Environment(params (string Name, string Value)[] variables) =>
        variables.Length == 0 ? "" : "env " + string.Join(' ', variables.Select(v => $"{v.Name}={v.Value}"));

    public static RunResult Run(ITestOutputHelper output, string script, string? policy, params (string Name, string Value)[] environment) =>
        Run(output, script, policy, caPem: null, environment);

    /// <param name="caPem">A CA certificate put at <see cref="CaFileInContainer"/>.</param>
    public static RunResult Run(ITestOutputHelper output, string script, string? policy, string? caPem, params (string Name, string Value)[] environment)
    {
        var r = Container.Run(["/bin/sh", "-c", script], policy, hostNetwork: true, pid1Wrapper: Environment(environment),
            timeout: TimeSpan.FromSeconds(180), prepareLayer: upper =>
            {
                AddData(upper);
                if (caPem is not null)
                    File.WriteAllText(Path.Combine(upper, CaFileInContainer.TrimStart('/')), caPem);
            });
        output.WriteLine(Shorten(r.ToString()));
        return r;
    }

    public static RunningContainer Start(string script, string? policy, params (string Name, string Value)[] environment) =>
        RunningContainer.Start(["/bin/sh", "-c", script], policy: policy, hostNetwork: true, pid1Wrapper: Environment(environment),
            prepareLayer: AddData, readyLine: "");

    /// <summary>/data/secret: the file the burst opens (File Block, audit mode).</summary>
    public static void AddData(string upper)
    {
        Directory.CreateDirectory(Path.Combine(upper, "data"));
        File.WriteAllText(Path.Combine(upper, "data/secret"), "secret\n");
    }

    /// <summary>File Block in audit mode on /data/secret: one "detected" event per open, none aggregated.</summary>
    public const string FileBlockAudit = "fileBlock:\n  enabled: true\n  mode: audit\n  files: [/data/secret]";

    /// <summary>A run's text for the test log, without 100,000 lines of a burst.</summary>
    public static string Shorten(string text) =>
        text.Length <= 200_000 ? text : text[..100_000] + $"\n... ({text.Length - 200_000} characters left out) ...\n" + text[^100_000..];

    /// <summary>A SinkDrop event's count (microenforcer.dropped.count), or null for any other record.</summary>
    public static long? DroppedCount(OtlpRecord record) =>
        record.Attribute(DroppedCountKey) is { Length: > 0 } count ? long.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The N of a reason "dropped N events: ..." (the SinkDrop event's reason on every sink).</summary>
    public static long? DroppedInReason(string reason) =>
        DroppedEvents().Match(reason) is { Success: true } m ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^dropped (\d+) events")]
    private static partial Regex DroppedEvents();
}
