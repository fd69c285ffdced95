using System.Diagnostics;
using System.Globalization;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// The root filesystems the workloads run on, as overlay layers:
///   - the workload image: the sample's Debian 12 + nginx-light root filesystem (made once by
///     samples/dockerfile-wrap/make-base-image.sh, cached as a tarball) under a layer with the
///     benchmark programs, nginx's benchmark configurations (without and with an access log),
///     the policies of the variants (/opt/bench/policies) and the enforcer binary (and, beside
///     it on the host, the outbound benchmark's server, which runs outside the sandboxes);
///   - the start-up images: a tiny base (the probes and the enforcer) under a synthetic tree of
///     N files, every one of them executable: the worst case for the baseline, which records and
///     hashes every executable.
/// Layers that take long to make (the Debian root, the trees) are cached under
/// /var/cache/microenforcer/bench; the rest is rebuilt each run, so the binary is always this one.
/// </summary>
internal sealed class BenchImage
{
    private const int FilesPerDirectory = 100;
    private readonly string _repo;
    private readonly string _cache;
    private readonly string _layers;

    public BenchImage(string repo, string work, string enforcerBinary, int nginxPort)
    {
        _repo = repo;
        _cache = Environment.GetEnvironmentVariable("MICROENFORCER_CACHE") ?? "/var/cache/microenforcer";
        _layers = Path.Combine(work, "layers");
        EnforcerBinary = enforcerBinary;
        NginxPort = nginxPort;
    }

    /// <summary>nginx's benchmark configuration: one worker, a static page, no access log.</summary>
    public const string NginxConf = "/opt/bench/nginx.conf";

    /// <summary>The same with the access log on, in /var/log/nginx.</summary>
    public const string NginxAccessLogConf = "/opt/bench/nginx-access.conf";

    public string EnforcerBinary { get; }

    public int NginxPort { get; }

    public IReadOnlyList<string> WorkloadLayers { get; private set; } = [];

    /// <summary>The outbound benchmark's server, a host program: it runs outside the sandboxes (<see cref="ReplyServer"/>).</summary>
    public string ReplyServerProgram => Path.Combine(_layers, "host", "reply_server");

    private string StartupBase => Path.Combine(_layers, "startup-base");

    public void Prepare()
    {
        string bench = Path.Combine(_layers, "bench");
        string programs = Path.Combine(bench, "opt", "bench");
        Directory.CreateDirectory(programs);
        foreach (string program in new[] { "osbench", "nop", "clock_exec", "entrypoint_stamp", "outbound" })
            Compile(program, programs);
        Compile("reply_server", Path.GetDirectoryName(ReplyServerProgram)!);
        CopyEnforcer(bench);
        Directory.CreateDirectory(Path.Combine(programs, "www"));
        File.WriteAllText(Path.Combine(programs, "www", "index.html"), "<!doctype html>\n<title>bench</title>\n" + new string('x', 1024) + "\n");
        File.WriteAllText(Path.Combine(programs, "nginx.conf"), NginxConfText("access_log off;"));
        // The same server logging every request where FIM watches (the image's nginx-light has
        // /var/log/nginx); buffer=0 is nginx's default, so each request is a write(2) of its own.
        File.WriteAllText(Path.Combine(programs, "nginx-access.conf"), NginxConfText("access_log /var/log/nginx/access.log;"));
        string policies = Path.Combine(programs, "policies");
        Directory.CreateDirectory(policies);
        foreach (BenchPolicy policy in BenchPolicy.All)
            File.Copy(Path.Combine(_repo, policy.RepoPath), Path.Combine(bench, policy.ImagePath.TrimStart('/')), overwrite: true);
        WorkloadLayers = [bench, DebianRoot()];

        string startupPrograms = Path.Combine(StartupBase, "opt", "bench");
        Directory.CreateDirectory(startupPrograms);
        foreach (string dir in new[] { "proc", "tmp", "dev" })
            Directory.CreateDirectory(Path.Combine(StartupBase, dir));
        foreach (string program in new[] { "clock_exec", "entrypoint_stamp" })
            File.Copy(Path.Combine(programs, program), Path.Combine(startupPrograms, program), overwrite: true);
        CopyEnforcer(StartupBase);
    }

    private void Compile(string program, string directory)
    {
        Directory.CreateDirectory(directory);
        Tools.Run("gcc", ["-static", "-O2", "-pthread", "-o", Path.Combine(directory, program), Path.Combine(_repo, "bench", "workloads", program + ".c")]);
    }

    private string NginxConfText(string accessLog) => $$"""
        worker_processes 1;
        pid /tmp/nginx.pid;
        error_log stderr warn;
        events { worker_connections 512; }
        http {
            {{accessLog}}
            sendfile on;
            keepalive_requests 1000000;
            server {
                listen 127.0.0.1:{{NginxPort}};
                root /opt/bench/www;
            }
        }
        """;

    /// <summary>The layers of a start-up image with <paramref name="files"/> files.</summary>
    public IReadOnlyList<string> StartupLayers(int files) => [Tree(files), StartupBase];

    private void CopyEnforcer(string layer)
    {
        string dir = Path.Combine(layer, ".microenforcer");
        Directory.CreateDirectory(dir);
        File.Copy(EnforcerBinary, Path.Combine(dir, "microenforcer"), overwrite: true);
    }

    private string DebianRoot()
    {
        string script = Path.Combine(_repo, "samples", "dockerfile-wrap", "make-base-image.sh");
        Tools.Run(script, [], TimeSpan.FromMinutes(10));
        string tarball = Directory.GetFiles(_cache, "debian-nginx-bookworm-*.tar").SingleOrDefault()
            ?? throw new BenchmarkException($"{script} made no tarball in {_cache}");
        string root = Path.Combine(_cache, "bench", Path.GetFileNameWithoutExtension(tarball));
        if (!File.Exists(root + ".complete"))
        {
            Progress.Say($"extracting {tarball}");
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
            Directory.CreateDirectory(root);
            Tools.Run("tar", ["--numeric-owner", "-xf", tarball, "-C", root]);
            File.WriteAllText(root + ".complete", "");
        }
        return root;
    }

    private string Tree(int files)
    {
        string root = Path.Combine(_cache, "bench", $"tree-{files}");
        if (File.Exists(root + ".complete"))
            return root;
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        Progress.Say($"making a synthetic tree of {files} executable files (cached for later runs)");
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, "data", "d" + (i / FilesPerDirectory).ToString("D5", CultureInfo.InvariantCulture));
            if (i % FilesPerDirectory == 0)
                Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, "f" + i.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(path, $"#!/bin/sh\n# synthetic image file {i}\n");
            File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        }
        File.WriteAllText(root + ".complete", "");
        Progress.Say($"tree of {files} files made in {stopwatch.Elapsed.TotalSeconds:0.0} s");
        return root;
    }
}
