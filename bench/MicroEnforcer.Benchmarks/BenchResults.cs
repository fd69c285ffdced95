using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Benchmarks;

/// <summary>One run's figures, as bench/results.json and as the results section of BENCHMARKS.md.</summary>
internal sealed class BenchResults(BenchOptions options, IReadOnlyList<ThroughputWorkload> workloads, IReadOnlyList<StartupBenchmark> startups,
    ListLoadBenchmark? lists, long binaryBytes, string loadBefore, string loadAfter, TimeSpan elapsed)
{
    private const double BinaryTargetMb = 20;
    private const string Begin = "<!-- results: written by `make bench`; everything outside these markers is kept -->";
    private const string End = "<!-- end of results -->";

    private readonly string _date = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    private readonly string _commit = Git("rev-parse", "--short", "HEAD") + (Git("status", "--porcelain", "--untracked-files=no").Length > 0 ? " (with uncommitted changes)" : "");

    private static double BinaryMb(long bytes) => bytes / 1024.0 / 1024.0;

    public void WriteJson(string path)
    {
        var json = new JsonObject
        {
            ["date"] = _date,
            ["commit"] = _commit,
            ["machine"] = Machine(),
            ["rounds"] = options.Rounds,
            ["smoke"] = options.Smoke,
            ["elapsedMinutes"] = Math.Round(elapsed.TotalMinutes, 1),
            ["loadAverage"] = new JsonObject { ["before"] = loadBefore, ["after"] = loadAfter },
            ["throughput"] = new JsonArray([.. workloads.Select(Throughput)]),
            ["startup"] = new JsonArray([.. startups.Select(Startup)]),
            ["listFiles"] = lists is null ? null : ListFiles(lists),
            ["binary"] = new JsonObject
            {
                ["bytes"] = binaryBytes,
                ["megabytes"] = Math.Round(BinaryMb(binaryBytes), 2),
                ["targetMegabytes"] = BinaryTargetMb,
                ["met"] = BinaryMb(binaryBytes) <= BinaryTargetMb,
            },
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static JsonObject Figures(Samples samples, int digits) => new()
    {
        ["median"] = Math.Round(samples.Median, digits),
        ["min"] = Math.Round(samples.Min, digits),
        ["max"] = Math.Round(samples.Max, digits),
        ["samples"] = new JsonArray([.. samples.Values.Select(v => (JsonNode)Math.Round(v, digits))]),
    };

    private static JsonObject Throughput(ThroughputWorkload w)
    {
        var json = new JsonObject
        {
            ["workload"] = w.Key,
            ["title"] = w.Title,
            ["unit"] = w.Unit,
            ["policy"] = w.Policy?.Name ?? "default",
            ["policyFile"] = w.Policy?.RepoPath,
        };
        if (w.Skipped is not null)
        {
            json["skipped"] = w.Skipped;
            json["target"] = w.Target;
            return json;
        }
        var modes = new JsonObject();
        foreach (RunMode mode in w.Modes)
            modes[mode.Key()] = Figures(w.Results[mode], 1);
        json["modes"] = modes;
        json["throughputRelativeToNative"] = new JsonObject
        {
            ["microenforcer"] = Math.Round(w.Ratio(RunMode.MicroEnforcer), 3),
            ["ptraceEverything"] = w.Modes.Contains(RunMode.PtraceEverything) ? Math.Round(w.Ratio(RunMode.PtraceEverything), 3) : null,
            ["pdigPublished"] = w.Pdig,
        };
        json["target"] = w.Target;
        json["met"] = w.Target is null ? null : w.Met;
        return json;
    }

    private static JsonObject Startup(StartupBenchmark s) => new()
    {
        ["files"] = s.Files,
        ["startupMs"] = new JsonObject { ["native"] = Figures(s.NativeMs, 2), ["microenforcer"] = Figures(s.EnforcedMs, 2) },
        ["overheadMs"] = Math.Round(s.OverheadMs, 2),
        ["targetOverheadMs"] = s.TargetOverheadMs,
        ["pid1ResidentMb"] = Figures(s.RssMb, 1),
        ["pid1PeakResidentMb"] = Figures(s.PeakRssMb, 1),
        ["targetResidentMb"] = s.TargetRssMb,
        ["hashingMs"] = Figures(s.HashingMs, 0),
    };

    private static JsonObject ListFiles(ListLoadBenchmark l) => l.Skipped is not null
        ? new() { ["entries"] = l.Entries, ["skipped"] = l.Skipped }
        : new()
        {
            ["entries"] = l.Entries,
            ["validateMs"] = new JsonObject { ["noListFiles"] = Figures(l.BaselineMs, 1), ["listFiles"] = Figures(l.ListsMs, 1) },
            ["peakResidentMb"] = new JsonObject { ["noListFiles"] = Figures(l.BaselineRssMb, 1), ["listFiles"] = Figures(l.ListsRssMb, 1) },
            ["targetMs"] = ListLoadBenchmark.TargetMs,
            ["targetResidentMb"] = ListLoadBenchmark.TargetRssMb,
            ["met"] = l.Met,
        };

    private static JsonObject Machine()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        string memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = cpu,
            ["memory"] = memory,
            ["kernel"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        };
    }

    public void WriteMarkdown(string path)
    {
        string section = Begin + "\n" + Markdown() + End;
        string text;
        if (File.Exists(path) && File.ReadAllText(path) is var old && old.Contains(Begin, StringComparison.Ordinal) && old.Contains(End, StringComparison.Ordinal))
        {
            int start = old.IndexOf(Begin, StringComparison.Ordinal);
            int end = old.IndexOf(End, StringComparison.Ordinal) + End.Length;
            text = old[..start] + section + old[end..];
        }
        else
        {
            text = "# Benchmarks\n\n" + section + "\n";
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private string Markdown()
    {
        JsonObject machine = Machine();
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run of {_date}, commit {_commit}{(options.Smoke ? " (smoke run: not results)" : "")}: {options.Rounds} rounds, interleaved, " +
            $"{elapsed.TotalMinutes:0.0} min. Machine: {machine["cores"]} cores ({machine["cpu"]}), {machine["memory"]}, Linux {machine["kernel"]}; " +
            $"load average {loadBefore.Split(' ')[0]} before, {loadAfter.Split(' ')[0]} after.");
        md.AppendLine();
        md.AppendLine("Throughput relative to native (higher is better), from the medians; raw figures are medians with min-max.");
        md.AppendLine();
        md.AppendLine("| workload | policy | native | MicroEnforcer | ptrace-everything | **MicroEnforcer** | ptrace-everything | pdig published | target | met |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (ThroughputWorkload w in workloads)
        {
            string policy = w.Policy is null ? "default" : $"[{w.Policy.Name}]({w.Policy.RepoPath})";
            string target = w.Target is double t ? $">= {t:0.00}" : "-";
            if (w.Skipped is not null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {w.Title} ({w.Unit}) | {policy} | skipped: this binary refuses the policy | | | | | | {target} | - |");
                continue;
            }
            string Raw(RunMode m) => w.Modes.Contains(m) ? $"{Format(w.Results[m].Median)} ({Format(w.Results[m].Min)}-{Format(w.Results[m].Max)})" : "-";
            string ptrace = w.Modes.Contains(RunMode.PtraceEverything) ? w.Ratio(RunMode.PtraceEverything).ToString("0.000", CultureInfo.InvariantCulture) : "-";
            string met = w.Target is null ? "-" : w.Met ? "yes" : "**no**";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {w.Title} ({w.Unit}) | {policy} | {Raw(RunMode.Native)} | {Raw(RunMode.MicroEnforcer)} | {Raw(RunMode.PtraceEverything)} | **{w.Ratio(RunMode.MicroEnforcer):0.000}** | " +
                $"{ptrace} | {(w.Pdig is double p ? p.ToString("0.000", CultureInfo.InvariantCulture) : "-")} | {target} | {met} |");
        }
        if (startups.Count > 0)
            StartupTable(md);
        if (lists is not null)
            ListFilesTable(md, lists);
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Static binary: **{BinaryMb(binaryBytes):0.0} MB** ({binaryBytes:N0} bytes; target <= {BinaryTargetMb:0} MB).");
        return md.ToString();
    }

    // Left out of a partial run (--only without startup) rather than printed empty.
    private void StartupTable(StringBuilder md)
    {
        md.AppendLine();
        md.AppendLine("Start-up (clock_exec to the entrypoint's first instructions; every file of the tree executable) and PID 1's memory once the baseline is recorded and hashed, behind the workload:");
        md.AppendLine();
        md.AppendLine("| image files | native ms | MicroEnforcer ms | overhead ms | target | PID 1 resident MB (peak) | target | recorded and hashed, ms after the start |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (StartupBenchmark s in startups)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Files:N0} | {s.NativeMs.Median:0.00} | {s.EnforcedMs.Median:0.00} ({s.EnforcedMs.Min:0.00}-{s.EnforcedMs.Max:0.00}) | **{s.OverheadMs:0.0}** | " +
                $"{(s.TargetOverheadMs is double t ? $"<= {t:0}" : "-")} | **{s.RssMb.Median:0.0}** ({s.PeakRssMb.Median:0.0}) | {(s.TargetRssMb is double r ? $"<= {r:0}" : "-")} | {s.HashingMs.Median:0} |");
        }
    }

    // Left out of a partial run without "lists", as the start-up table is.
    private static void ListFilesTable(StringBuilder md, ListLoadBenchmark l)
    {
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"List files (`policy validate` of a policy naming {l.Entries:N0} domains and {l.Entries:N0} IPv4/IPv6 networks, against the same policy without them; the whole process, wall time and peak resident memory):");
        md.AppendLine();
        if (l.Skipped is not null)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"skipped: {l.Skipped}");
            return;
        }
        md.AppendLine("| policy | ms | target | peak resident MB | target |");
        md.AppendLine("|---|---|---|---|---|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| no list files | {l.BaselineMs.Median:0.0} ({l.BaselineMs.Min:0.0}-{l.BaselineMs.Max:0.0}) | - | {l.BaselineRssMb.Median:0.0} | - |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| list files | **{l.ListsMs.Median:0.0}** ({l.ListsMs.Min:0.0}-{l.ListsMs.Max:0.0}) | < {ListLoadBenchmark.TargetMs:0} | **{l.ListsRssMb.Median:0.0}** ({l.ListsRssMb.Min:0.0}-{l.ListsRssMb.Max:0.0}) | < {ListLoadBenchmark.TargetRssMb:0} |");
    }

    private static string Format(double value) => value >= 100 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.0", CultureInfo.InvariantCulture);

    public string Summary()
    {
        var text = new StringBuilder();
        foreach (ThroughputWorkload w in workloads)
        {
            string target = w.Target is double t ? $"  (target >= {t:0.00})" : "";
            if (w.Skipped is not null)
                text.AppendLine(CultureInfo.InvariantCulture, $"{w.Title,-36} skipped: this binary refuses {w.Policy?.RepoPath}");
            else if (w.Policy is not null)
                text.AppendLine(CultureInfo.InvariantCulture, $"{w.Title,-36} MicroEnforcer {w.Ratio(RunMode.MicroEnforcer),6:0.000}  (policy {w.Policy.Name}){target}");
            else
                text.AppendLine(CultureInfo.InvariantCulture, $"{w.Title,-36} MicroEnforcer {w.Ratio(RunMode.MicroEnforcer),6:0.000}  ptrace-everything {w.Ratio(RunMode.PtraceEverything),6:0.000}{target}");
        }
        foreach (StartupBenchmark s in startups)
            text.AppendLine(CultureInfo.InvariantCulture, $"start-up {s.Files,7} files: +{s.OverheadMs:0.0} ms, PID 1 {s.RssMb.Median:0.0} MB resident");
        if (lists is { Skipped: not null })
            text.AppendLine(CultureInfo.InvariantCulture, $"list files skipped: {lists.Skipped}");
        else if (lists is not null)
            text.AppendLine(CultureInfo.InvariantCulture, $"list files ({lists.Entries:N0} domains + {lists.Entries:N0} networks): policy validate {lists.ListsMs.Median:0} ms, {lists.ListsRssMb.Median:0.0} MB peak (without them {lists.BaselineMs.Median:0} ms, {lists.BaselineRssMb.Median:0.0} MB)");
        text.Append(CultureInfo.InvariantCulture, $"binary {BinaryMb(binaryBytes):0.0} MB");
        return text.ToString();
    }

    private static string Git(params string[] args)
    {
        try
        {
            return Tools.Run("git", args).Trim();
        }
        catch (BenchmarkException)
        {
            return "unknown";
        }
    }
}
