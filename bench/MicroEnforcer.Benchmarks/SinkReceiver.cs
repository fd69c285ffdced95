using MicroEnforcer.IntegrationTests.Audit.Receivers;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// The receivers of the audit-sink rows, on the host's loopback (the sandboxes share its network
/// namespace), at the fixed ports their policies name: one that answers every request at once
/// (nothing decoded: its cost is not the enforcer's), and one that accepts and never answers.
/// One is started per measurement and stopped after it.
/// </summary>
internal static class SinkReceiver
{
    public const int OtlpPort = 14318;

    public const int BlackholePort = 14319;

    public static HttpReceiver Healthy() => new HttpReceiver("bench-otlp", _ => null, OtlpPort).Up();

    public static HttpReceiver Blackholed()
    {
        var receiver = new HttpReceiver("bench-blackhole", _ => null, BlackholePort) { Fault = ReceiverFault.BlackholeMode };
        return receiver.Up();
    }
}
