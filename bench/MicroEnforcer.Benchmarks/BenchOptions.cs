using System.Globalization;

namespace MicroEnforcer.Benchmarks;

internal sealed record BenchOptions(string Repo, string Binary, int Rounds, bool Smoke, string JsonPath, string MarkdownPath, IReadOnlySet<string>? Only)
{
    public static BenchOptions Parse(string[] args)
    {
        string repo = FindRepo();
        string? binary = null, json = null, markdown = null;
        int? rounds = null;
        bool smoke = false;
        HashSet<string>? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new BenchmarkException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--binary": binary = Value(); break;
                case "--json": json = Value(); break;
                case "--markdown": markdown = Value(); break;
                case "--smoke": smoke = true; break;
                case "--only":
                    only = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (only.FirstOrDefault(key => !Workloads.Keys.Contains(key)) is string unknown)
                        throw new BenchmarkException($"--only {unknown}: not a workload (one of {string.Join(',', Workloads.Keys)})");
                    break;
                case "--rounds":
                    string text = Value();
                    rounds = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 100
                        ? n : throw new BenchmarkException($"--rounds {text}: a whole number from 1 to 100");
                    break;
                default:
                    throw new BenchmarkException($"unknown option {args[i]} (usage: microenforcer-bench [--binary PATH] [--rounds N] [--smoke] [--only {string.Join(',', Workloads.Keys)}] [--json PATH] [--markdown PATH])");
            }
        }
        // A partial run (--only) must not overwrite the committed results with fewer figures.
        if (only is not null && (json is null || markdown is null) && !smoke)
            throw new BenchmarkException("--only needs --json and --markdown: a partial run does not replace the committed results");
        // A smoke run proves the harness works; its figures are not results, so they go elsewhere.
        string outDir = smoke ? Path.Combine(repo, "artifacts", "bench-smoke") : repo;
        return new BenchOptions(
            repo,
            Path.GetFullPath(binary ?? Path.Combine(repo, "artifacts", "microenforcer")),
            rounds ?? (smoke ? 1 : 5),
            smoke,
            Path.GetFullPath(json ?? Path.Combine(outDir, "bench", "results.json")),
            Path.GetFullPath(markdown ?? Path.Combine(outDir, "BENCHMARKS.md")),
            only);
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicroEnforcer.sln")))
                return dir.FullName;
        }
        throw new BenchmarkException("run it from inside the MicroEnforcer repository");
    }
}
