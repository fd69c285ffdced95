using System.Globalization;
using System.Text;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// What loading big list files costs: `microenforcer policy validate` of a policy naming a file of
/// 100,000 domains and one of 100,000 CIDR networks (IPv4 and IPv6 mixed), against the same
/// policy without them, in the same rounds; wall time and the process's peak resident memory
/// (wait4's ru_maxrss, through bench/workloads/peak_rss.c) of each. Validation reads every list file exactly as a start does.
/// </summary>
/// <remarks>
/// The files are named in <c>spec.reputation.listFiles</c>; a binary without that section
/// refuses the policy, and the benchmark is then skipped, not failed.
/// </remarks>
internal sealed class ListLoadBenchmark(string workDirectory, bool smoke)
{
    public int Entries { get; } = smoke ? 10_000 : 100_000;

    public Samples BaselineMs { get; } = new();

    public Samples BaselineRssMb { get; } = new();

    public Samples ListsMs { get; } = new();

    public Samples ListsRssMb { get; } = new();

    /// <summary>The issue's targets for 100,000 domains and 100,000 networks in the whole process.</summary>
    public const double TargetMs = 1000;

    public const double TargetRssMb = 30;

    /// <summary>Why it was not measured (the binary refused the policy); null when it was.</summary>
    public string? Skipped { get; private set; }

    public bool Met => ListsMs.Median <= TargetMs && ListsRssMb.Median <= TargetRssMb;

    private string Directory => Path.Combine(workDirectory, "lists");

    private string ListsPolicy => Path.Combine(Directory, "lists.yaml");

    private string BaselinePolicy => Path.Combine(Directory, "baseline.yaml");

    /// <summary>Writes the list files and both policies, and asks the binary whether it takes them.</summary>
    public void Prepare(string repo, string binary)
    {
        System.IO.Directory.CreateDirectory(Directory);
        Tools.Run("gcc", ["-static", "-O2", "-o", PeakRss, Path.Combine(repo, "bench", "workloads", "peak_rss.c")]);
        string domains = Path.Combine(Directory, "domains.txt");
        string networks = Path.Combine(Directory, "networks.txt");
        WriteDomains(domains);
        WriteNetworks(networks);
        const string Header = "apiVersion: microenforcer.dev/v1\nkind: RuntimePolicy\nspec:\n  reputation:\n";
        File.WriteAllText(BaselinePolicy, Header + "    listFiles: []\n");
        File.WriteAllText(ListsPolicy, Header + $"    listFiles: [{domains}, {networks}]\n");
        foreach (string policy in new[] { BaselinePolicy, ListsPolicy })
        {
            (int status, _, _, string output) = Validate(binary, policy);
            if (status != 0)
            {
                Skipped = $"`policy validate` exited {status}: {output.ReplaceLineEndings(" ").Trim()}";
                return;
            }
        }
    }

    public void MeasureOnce(string binary)
    {
        if (Skipped is not null)
            return;
        foreach ((string policy, Samples ms, Samples rss, string title) in new[] { (BaselinePolicy, BaselineMs, BaselineRssMb, "no list files"), (ListsPolicy, ListsMs, ListsRssMb, $"{Entries:N0} domains + {Entries:N0} networks") })
        {
            (int status, double elapsedMs, double maxRssMb, string output) = Validate(binary, policy);
            if (status != 0)
                throw new BenchmarkException($"policy validate {policy} exited {status}: {output.Trim()}");
            ms.Add(elapsedMs);
            rss.Add(maxRssMb);
            Progress.Say($"  policy validate, {title,-36} {elapsedMs,8:0.0} ms {maxRssMb,6:0.0} MB peak resident");
        }
    }

    // Hosts-file lines and bare names, half each, of realistic lengths; no two alike.
    private void WriteDomains(string path)
    {
        var random = new Random(15);
        var text = new StringBuilder();
        string[] tlds = ["com", "net", "org", "io", "xyz", "info", "co.uk", "ru"];
        for (int i = 0; i < Entries; i++)
        {
            string name = $"{Word(random)}{i:x}.{Word(random)}.{tlds[random.Next(tlds.Length)]}";
            text.Append(i % 2 == 0 ? "0.0.0.0 " : "").Append(name).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    // Three in four IPv4 (/16 to /32), the rest IPv6 (/32 to /128), host bits cleared.
    private void WriteNetworks(string path)
    {
        var random = new Random(16);
        var text = new StringBuilder();
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < Entries; i++)
        {
            bool v4 = i % 4 != 3;
            int length = v4 ? 4 : 16;
            int prefix = v4 ? random.Next(16, 33) : random.Next(32, 129);
            random.NextBytes(bytes[..length]);
            for (int bit = prefix; bit < length * 8; bit++)
                bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            text.Append(new System.Net.IPAddress(bytes[..length]).ToString()).Append('/').Append(prefix).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    private static string Word(Random random)
    {
        Span<char> word = stackalloc char[random.Next(4, 12)];
        for (int i = 0; i < word.Length; i++)
            word[i] = (char)('a' + random.Next(26));
        return new string(word);
    }

    /// <summary>
    /// Runs `BINARY policy validate POLICY` under peak_rss (bench/workloads/peak_rss.c: wait4's
    /// ru_maxrss of a child started by fork, not vfork), its output to a file.
    /// </summary>
    private (int Status, double ElapsedMs, double MaxRssMb, string Output) Validate(string binary, string policy)
    {
        string outputPath = Path.Combine(Directory, "validate.out");
        string figures = Tools.Run(PeakRss, [outputPath, binary, "policy", "validate", policy]);
        return ((int)Field(figures, "status"), Field(figures, "elapsed_ns") / 1e6, Field(figures, "max_rss_kb") / 1024, File.ReadAllText(outputPath));
    }

    private string PeakRss => Path.Combine(Directory, "peak_rss");

    private static double Field(string output, string name)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == name && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                return value;
        }
        throw new BenchmarkException($"peak_rss printed no {name}: {output.Trim()}");
    }
}
