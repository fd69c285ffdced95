using System.Diagnostics;
using System.Net.Http.Headers;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>
/// One Debian `docker-registry` (distribution 2.8) on a free loopback port, with a temporary
/// config and storage, killed and deleted on dispose. AUTH is the config's `auth:` section.
/// </summary>
internal sealed class RegistryServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public string Host { get; }

    public RegistryServer(string name, string? auth = null)
    {
        Tools.Require();
        _dir = Directory.CreateTempSubdirectory($"microenforcer-registry-{name}-").FullName;
        int port = Tools.FreeLoopbackPort();
        Host = $"127.0.0.1:{port}";
        string config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {_dir}/storage
            http:
              addr: {Host}
            {(auth is null ? "" : "auth:\n" + auth)}
            """);
        var start = new ProcessStartInfo(Tools.Find("docker-registry")!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilServing();
    }

    public System.Text.StringBuilder Log { get; } = new();

    public string Dir => _dir;

    private void WaitUntilServing()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"docker-registry exited with status {_process.ExitCode}\n{Log}");
            try
            {
                // 200 without auth, 401 with: either way it is serving the API.
                using var response = http.GetAsync(new Uri($"http://{Host}/v2/")).GetAwaiter().GetResult();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>`skopeo copy` from an OCI layout to this registry (plain HTTP), with credentials when given.</summary>
    public void Push(string layoutDir, string tag, string repository, string? credentials = null, bool all = false, bool dockerFormat = false)
    {
        var args = new List<string> { "--insecure-policy", "copy", "--dest-tls-verify=false", "--retry-times", "0" };
        if (all)
            args.Add("--all");
        if (dockerFormat)
            args.AddRange(["--format", "v2s2"]);
        if (credentials is not null)
            args.AddRange(["--dest-creds", credentials]);
        args.AddRange([$"oci:{layoutDir}:{tag}", $"docker://{Host}/{repository}:{tag}"]);
        Tools.Run("skopeo", [.. args]);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
