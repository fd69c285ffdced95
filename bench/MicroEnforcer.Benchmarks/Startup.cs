using System.Globalization;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// Start-up latency against image size: from `microenforcer run` (clock_exec reads the clock and
/// execs it) to the entrypoint's first instructions, against the same chain without the enforcer;
/// and PID 1's resident memory once the baseline is recorded and hashed (behind the workload; how
/// long that took from the entrypoint's start is reported too). The ptrace-everything design has
/// no baseline to record, so it is not measured here.
/// </summary>
internal sealed class StartupBenchmark(int files)
{
    public int Files { get; } = files;

    public Samples NativeMs { get; } = new();

    public Samples EnforcedMs { get; } = new();

    public Samples RssMb { get; } = new();

    public Samples PeakRssMb { get; } = new();

    public Samples HashingMs { get; } = new();

    /// <summary>The target for the start-up overhead, where it sets one.</summary>
    public double? TargetOverheadMs => Files switch { 10_000 => 20, 100_000 => 250, _ => null };

    public double? TargetRssMb => Files == 100_000 ? 25 : null;

    public double OverheadMs => EnforcedMs.Median - NativeMs.Median;

    public void MeasureOnce(Sandbox sandbox, BenchImage image)
    {
        IReadOnlyList<string> layers = image.StartupLayers(Files);
        string native = sandbox.Run(RunMode.Native, layers, ["/opt/bench/entrypoint_stamp"], TimeSpan.FromMinutes(3), ["/opt/bench/clock_exec"]);
        NativeMs.Add(Field(native, "startup_ns") / 1e6);
        string enforced = sandbox.Run(RunMode.MicroEnforcer, layers, ["/opt/bench/entrypoint_stamp", "memory"], TimeSpan.FromMinutes(3), ["/opt/bench/clock_exec"]);
        EnforcedMs.Add(Field(enforced, "startup_ns") / 1e6);
        RssMb.Add(Field(enforced, "rss_kb") / 1024);
        PeakRssMb.Add(Field(enforced, "hwm_kb") / 1024);
        HashingMs.Add(Field(enforced, "hashing_ms"));
        Progress.Say($"  start-up {Files,7} files: native {NativeMs.Values[^1],7:0.00} ms, MicroEnforcer {EnforcedMs.Values[^1],7:0.00} ms; " +
            $"PID 1 {RssMb.Values[^1]:0.0} MB resident (peak {PeakRssMb.Values[^1]:0.0} MB), baseline recorded and hashed {HashingMs.Values[^1]:0} ms after the start");
    }

    private static double Field(string output, string name)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == name && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                if (value < 0)
                    break;
                return value;
            }
        }
        throw new BenchmarkException($"entrypoint_stamp printed no {name}: {output.Trim()}");
    }
}
