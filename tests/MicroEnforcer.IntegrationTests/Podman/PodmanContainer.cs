using System.Globalization;
using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// One detached container (`podman run -d`) with a unique name, removed with `podman rm -f`
/// when disposed, so a failing test leaves nothing running. Everything about it is read the way
/// a user would: `podman logs`, `podman exec`, `podman top`, `podman inspect`.
/// </summary>
internal sealed class PodmanContainer : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    public string Name { get; }

    /// <summary>The loopback port the container's port 80 is published on, if it was.</summary>
    public int? HttpPort { get; }

    private PodmanContainer(string name, int? httpPort)
    {
        Name = name;
        HttpPort = httpPort;
    }

    /// <summary>
    /// Starts IMAGE with the extra run options (constraints like --read-only) and, when given,
    /// a command that replaces the image's CMD (the enforcer's ENTRYPOINT stays).
    /// </summary>
    public static PodmanContainer Start(string image, IEnumerable<string>? options = null, IEnumerable<string>? command = null, bool publishHttp = false)
    {
        PodmanPrerequisites.Require();
        string name = "microenforcer-test-" + Guid.NewGuid().ToString("N")[..12];
        int? port = publishHttp ? LoopbackHttp.FreePort() : null;
        var args = new List<string> { "run", "-d", "--name", name, "--label", Podman.TestLabel };
        args.AddRange(Podman.RunFlags);
        if (port is int p)
            args.AddRange(["-p", $"127.0.0.1:{p}:80"]);
        args.AddRange(options ?? []);
        args.Add(image);
        args.AddRange(command ?? []);
        var container = new PodmanContainer(name, port);
        var r = Podman.Run(args, s_startTimeout);
        if (r.ExitCode != 0)
        {
            string logs = container.Logs().ToString();
            container.Dispose();
            throw new InvalidOperationException($"podman {string.Join(' ', args)} failed with status {r.ExitCode}: {r.Stderr}\n{logs}");
        }
        return container;
    }

    public ContainerLogs Logs()
    {
        var r = Podman.Run(["logs", Name]);
        return new ContainerLogs(r.Stdout, r.Stderr);
    }

    /// <summary>
    /// The logs once they satisfy the condition, or as they are at the deadline: conmon writes
    /// the log file asynchronously, so what a process just printed can take a moment to appear.
    /// </summary>
    public ContainerLogs WaitForLogs(Func<ContainerLogs, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            ContainerLogs logs = Logs();
            if (condition(logs) || DateTime.UtcNow >= deadline)
                return logs;
            Thread.Sleep(200);
        }
    }

    /// <summary>`podman exec NAME COMMAND...`: an exec session, not a descendant of PID 1.</summary>
    public ProcessRunner.Result Exec(params string[] command) => Podman.Run(["exec", Name, .. command]);

    /// <summary>`podman cp HOSTPATH NAME:PATH`.</summary>
    public void CopyIn(string hostPath, string containerPath) => Podman.Check(["cp", hostPath, $"{Name}:{containerPath}"]);

    /// <summary>`podman cp NAME:PATH HOSTPATH` (works on a stopped container too).</summary>
    public void CopyOut(string containerPath, string hostPath) => Podman.Check(["cp", $"{Name}:{containerPath}", hostPath]);

    /// <summary>The container's processes, from the host (see ContainerProcess).</summary>
    public List<ContainerProcess> Processes() => ContainerProcess.ParseTop(Podman.Check(["top", Name, "hpid", "pid", "user", "args"]));

    /// <summary>The page served on the published port, once it answers; fails with the logs if it never does.</summary>
    public string Page()
    {
        int port = HttpPort ?? throw new InvalidOperationException("the container was started without publishHttp");
        return LoopbackHttp.WaitForPage(port, TimeSpan.FromSeconds(30), out string lastError)
            ?? throw new InvalidOperationException($"nothing answered on 127.0.0.1:{port} within 30 s ({lastError})\n{Logs()}");
    }

    /// <summary>`podman stop` (SIGTERM, SIGKILL after 10 s), then the container's exit status.</summary>
    public int Stop()
    {
        Podman.Check(["stop", "-t", "10", Name], TimeSpan.FromSeconds(60));
        return ExitCode();
    }

    /// <summary>Waits for the workload to end by itself; its exit status.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        try
        {
            return int.Parse(Podman.Check(["wait", Name], timeout).Trim(), CultureInfo.InvariantCulture);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"container {Name} still running after {timeout.TotalSeconds} s\n{Logs()}", e);
        }
    }

    public int ExitCode() => int.Parse(Podman.Check(["inspect", "--format", "{{.State.ExitCode}}", Name]).Trim(), CultureInfo.InvariantCulture);

    // -v: also the anonymous volumes it created (the enforcer image's /.microenforcer VOLUME).
    public void Dispose() => Podman.Run(["rm", "-f", "-v", "-t", "0", Name], TimeSpan.FromSeconds(60));
}
