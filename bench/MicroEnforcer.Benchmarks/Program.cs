using System.Diagnostics;
using System.Globalization;
using MicroEnforcer.Benchmarks;

// `make bench` (and, with --smoke, `make bench-smoke`, which CI runs so the harness cannot rot).
// Every workload runs three ways, interleaved round by round (native, MicroEnforcer,
// ptrace-everything, native, ...), so a noisy machine affects all three alike; the figures are
// medians of the rounds and the ratios compare medians of one run. The policy variants (create
// files and nginx under the file-controls sample and under FIM, nginx and the outbound client
// under the network controls, nginx without keep-alive under Forensics) run natively and under
// MicroEnforcer with their policy, in the same rounds; one the binary refuses is skipped.
//
//   microenforcer-bench [--binary PATH] [--rounds N] [--smoke] [--only WORKLOADS] [--json PATH] [--markdown PATH]

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

try
{
    var options = BenchOptions.Parse(args);
    return Run(options);
}
catch (BenchmarkException e)
{
    Console.Error.WriteLine($"bench: error: {e.Message}");
    return 1;
}

static int Run(BenchOptions options)
{
    if (Environment.UserName != "root")
        throw new BenchmarkException("needs root (namespaces, overlay mounts)");
    foreach (var (tool, package) in new[] { ("unshare", "util-linux"), ("strace", "strace"), ("wrk", "wrk"), ("gcc", "gcc"), ("tar", "tar"), ("podman", "podman") })
        Tools.Require(tool, package);
    if (!File.Exists(options.Binary))
        throw new BenchmarkException($"{options.Binary} does not exist: `make build` makes it");

    var stopwatch = Stopwatch.StartNew();
    string work = "/var/tmp/microenforcer-bench";
    var sandbox = new Sandbox(Path.Combine(work, "runs"));
    sandbox.Clean();
    var image = new BenchImage(options.Repo, work, options.Binary, FreePort());

    string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
    IReadOnlyList<ThroughputWorkload> workloads = [.. Workloads.Create(sandbox, image, options.Smoke).Where(w => options.Only?.Contains(w.Key) ?? true)];
    foreach (ThroughputWorkload variant in workloads.Where(w => w.Policy is not null))
    {
        variant.Skipped = variant.Policy!.Refusal(options.Repo, options.Binary);
        if (variant.Skipped is not null)
            Progress.Say($"skipping {variant.Title}: this binary refuses {variant.Policy.RepoPath}: {variant.Skipped}");
    }
    int[] treeSizes = options.Only?.Contains("startup") == false ? [] : options.Smoke ? [1_000] : [10_000, 100_000, 300_000];
    var startups = treeSizes.Select(files => new StartupBenchmark(files)).ToList();
    // The images are for the workloads and start-ups; `--only lists` runs on the host.
    if (workloads.Count > 0 || startups.Count > 0)
    {
        Progress.Say("preparing the images");
        image.Prepare();
    }
    ListLoadBenchmark? lists = options.Only?.Contains("lists") == false ? null : new ListLoadBenchmark(work, options.Smoke);
    if (lists is not null)
    {
        Progress.Say($"writing list files of {lists.Entries:N0} domains and {lists.Entries:N0} networks");
        lists.Prepare(options.Repo, options.Binary);
        if (lists.Skipped is not null)
            Progress.Say($"skipping the list files: {lists.Skipped}");
    }
    foreach (StartupBenchmark startup in startups)
        image.StartupLayers(startup.Files);   // make the trees before the clock matters

    for (int round = 1; round <= options.Rounds; round++)
    {
        Progress.Say($"round {round}/{options.Rounds}");
        foreach (ThroughputWorkload workload in workloads.Where(w => w.Skipped is null))
            foreach (RunMode mode in workload.Modes)
                workload.MeasureOnce(mode);
        foreach (StartupBenchmark startup in startups)
            startup.MeasureOnce(sandbox, image);
        lists?.MeasureOnce(options.Binary);
        sandbox.Clean();
    }

    var results = new BenchResults(options, workloads, startups, lists, new FileInfo(options.Binary).Length,
        loadBefore, File.ReadAllText("/proc/loadavg").Trim(), stopwatch.Elapsed);
    results.WriteJson(options.JsonPath);
    results.WriteMarkdown(options.MarkdownPath);
    Console.WriteLine(results.Summary());
    Progress.Say($"wrote {options.JsonPath} and {options.MarkdownPath} in {stopwatch.Elapsed.TotalMinutes:0.0} min");
    return 0;
}

static int FreePort()
{
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}
