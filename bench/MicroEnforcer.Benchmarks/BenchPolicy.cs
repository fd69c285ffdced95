using System.Text.RegularExpressions;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// A policy a workload variant runs under instead of the default one: a file of the repository,
/// copied into the workload image at <see cref="ImagePath"/> and given to `microenforcer run
/// --policy`. A variant is measured natively and under MicroEnforcer only: ptrace-everything
/// has no policy, and the default-policy row of the same workload already compares with it.
/// </summary>
internal sealed record BenchPolicy(string Name, string RepoPath)
{
    public const string ImageDirectory = "/opt/bench/policies";

    /// <summary>The file-controls sample: File Block and Read-Only on an nginx container's lists.</summary>
    public static readonly BenchPolicy FileControls = new("file-controls", "samples/policies/file-controls.yaml");

    /// <summary>The same with reportAttempts off: the kernel (Landlock) alone, no round trip to PID 1 per open.</summary>
    public static readonly BenchPolicy FileControlsSilent = new("file-controls-silent", "bench/policies/file-controls-silent.yaml");

    /// <summary>File Integrity Monitoring watching /tmp, where `osbench files` creates its files.</summary>
    public static readonly BenchPolicy FimFiles = new("fim-files", "bench/policies/fim-files.yaml");

    /// <summary>File Integrity Monitoring watching /var/log/nginx, where nginx-access.conf logs.</summary>
    public static readonly BenchPolicy FimNginx = new("fim-nginx", "bench/policies/fim-nginx.yaml");

    /// <summary>Port Block, DNS/IP Reputation and Block Cryptocurrency Mining, enforcing: the network gate on.</summary>
    public static readonly BenchPolicy Network = new("network", "bench/policies/network.yaml");

    /// <summary>Forensics: every process, connection and listening socket reported (aggregated under load).</summary>
    public static readonly BenchPolicy Forensics = new("forensics", "bench/policies/forensics.yaml");

    /// <summary>The default policy with an OTLP sink to the bench's receiver (<see cref="SinkReceiver.OtlpPort"/>) beside stderr.</summary>
    public static readonly BenchPolicy AuditOtlp = new("audit-otlp", "bench/policies/audit-otlp.yaml");

    /// <summary>Executables Blocked in audit mode on the launched program: one event per launch, stderr only.</summary>
    public static readonly BenchPolicy AuditReported = new("audit-reported", "bench/policies/audit-reported.yaml");

    /// <summary>The same events, also to the OTLP receiver.</summary>
    public static readonly BenchPolicy AuditReportedOtlp = new("audit-reported-otlp", "bench/policies/audit-reported-otlp.yaml");

    /// <summary>The same events, also to an OTLP receiver that never answers (<see cref="SinkReceiver.BlackholePort"/>).</summary>
    public static readonly BenchPolicy AuditReportedSinkDown = new("audit-reported-sink-down", "bench/policies/audit-reported-sink-down.yaml");

    public static readonly IReadOnlyList<BenchPolicy> All =
        [FileControls, FileControlsSilent, FimFiles, FimNginx, Network, Forensics, AuditOtlp, AuditReported, AuditReportedOtlp, AuditReportedSinkDown];

    public string ImagePath => $"{ImageDirectory}/{Name}.yaml";

    /// <summary>
    /// Asks the binary under test whether it takes the policy (`policy validate`): null when it
    /// does, else what it said. A binary without a control the policy names refuses it (FIM
    /// before it is merged), and the variant is then skipped, not failed.
    /// </summary>
    public string? Refusal(string repo, string binary)
    {
        string path = Path.Combine(repo, RepoPath);
        if (!File.Exists(path))
            throw new BenchmarkException($"policy {Name}: {path} does not exist");
        try
        {
            Tools.Run(binary, ["policy", "validate", path]);
            return null;
        }
        catch (BenchmarkException e)
        {
            return Errors(e.Message) ?? e.Message.ReplaceLineEndings(" ");
        }
    }

    /// <summary>
    /// The binary's policy errors alone, without the list of the fields it knows after each one:
    /// "network.yaml:18:3: spec.reputation: unknown field 'reputation'" says which section this
    /// binary lacks. Null when it printed none (then the whole message is the reason).
    /// </summary>
    private static string? Errors(string message)
    {
        string[] errors = [.. Regex.Matches(message, @"policy error: (.*?)(?: \(allowed: [^)\n]*\))?$", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value.Trim())];
        return errors.Length == 0 ? null : string.Join("; ", errors);
    }
}
