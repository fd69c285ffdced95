using System.Diagnostics;

namespace MicroEnforcer.Injector.Tests.Registry;

/// <summary>The external programs the registry tests run; a missing one fails the tests with the package to install.</summary>
internal static class Tools
{
    private static readonly (string Tool, string Package)[] s_required =
    [
        ("docker-registry", "docker-registry"), // the real OCI distribution server (distribution 2.8)
        ("skopeo", "skopeo"),                   // pushes the test images
        ("htpasswd", "apache2-utils"),          // the bcrypt password file of the basic-auth registry
    ];

    public static void Require()
    {
        var missing = s_required.Where(t => Find(t.Tool) is null).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"registry test prerequisites missing: {string.Join(", ", missing.Select(t => t.Tool))} not in PATH; " +
                $"install them with: apt-get install {string.Join(' ', missing.Select(t => t.Package))} (or run `make deps` as root)");
        }
    }

    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>Runs a tool to completion; its output is in the exception when it fails.</summary>
    public static string Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in 2 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed with status {process.ExitCode}\n{stdout.Result}{stderr.Result}");
        return stdout.Result;
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
