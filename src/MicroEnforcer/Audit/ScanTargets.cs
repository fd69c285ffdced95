namespace MicroEnforcer.Audit;

/// <summary>
/// What a port scan tried, as Port Scanning Detection reports it (the event's "targets" object).
/// </summary>
/// <param name="Count">The distinct targets (host and port) tried within the window.</param>
/// <param name="Sample">The first of them, oldest first, "host:port" ("[v6]:port").</param>
/// <param name="Failures">How many of them failed when tried (refused, unreachable...); a non-blocking connect's later failure is not seen.</param>
internal sealed record ScanTargets(int Count, IReadOnlyList<string> Sample, int Failures);
