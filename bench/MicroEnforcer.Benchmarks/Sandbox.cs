using System.Diagnostics;

namespace MicroEnforcer.Benchmarks;

/// <summary>
/// A throw-away container: new pid and mount namespaces, an overlay of the given layers as the
/// root (a fresh upper directory each time, so no run sees another's writes), /proc, a tmpfs
/// /tmp and the host's /dev, then chroot. The network namespace is the host's, so wrk reaches
/// nginx on loopback. PID 1 is the workload itself (native), `microenforcer run` (enforced) or
/// strace (ptrace-everything); all three see the same root filesystem.
/// </summary>
internal sealed class Sandbox(string workRoot)
{
    // What pdig-like tracers need to follow: every process and program. -qq: no attach/exit
    // chatter; -o /dev/null: the cost of stopping, not of printing.
    private static readonly string[] Strace =
        ["strace", "-f", "-qq", "-e", "trace=execve,execveat,fork,vfork,clone,clone3", "-o", "/dev/null"];

    private const string MountScript = """
        set -e
        R="$ME_ROOT"
        mount -t overlay overlay -o "lowerdir=$ME_LOWER,upperdir=$ME_UPPER,workdir=$ME_OVERLAY_WORK" "$R"
        mount -t proc proc "$R/proc"
        mount -t tmpfs tmpfs "$R/tmp"
        mount --rbind /dev "$R/dev"
        exec "$@"
        """;

    private int _runs;

    /// <summary>Starts <paramref name="command"/> (inside the root) under <paramref name="mode"/>.</summary>
    /// <param name="probe">Runs first inside the root and execs the rest (PID 1 stays PID 1): the start-up clock.</param>
    /// <param name="policy">The policy file (a path inside the root) MicroEnforcer runs with; null: the built-in default.</param>
    public Process Start(RunMode mode, IReadOnlyList<string> lowerLayers, IReadOnlyList<string> command, IReadOnlyList<string>? probe = null,
        string? policy = null)
    {
        if (policy is not null && mode != RunMode.MicroEnforcer)
            throw new BenchmarkException($"a policy ({policy}) means nothing to {mode.Title()}");
        string dir = Path.Combine(workRoot, $"run{Interlocked.Increment(ref _runs)}");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        foreach (string sub in new[] { "upper", "work", "root" })
            Directory.CreateDirectory(Path.Combine(dir, sub));

        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--pid", "--fork", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", MountScript, "sh" })
            start.ArgumentList.Add(arg);
        if (mode == RunMode.PtraceEverything)
            foreach (string arg in Strace)
                start.ArgumentList.Add(arg);
        start.ArgumentList.Add("chroot");
        start.ArgumentList.Add(Path.Combine(dir, "root"));
        foreach (string arg in probe ?? [])
            start.ArgumentList.Add(arg);
        if (mode == RunMode.MicroEnforcer)
        {
            // Without --policy, the default policy: every control on, Fork Guard included.
            foreach (string arg in new[] { "/.microenforcer/microenforcer", "run", "--log-level", "Warning" })
                start.ArgumentList.Add(arg);
            if (policy is not null)
            {
                start.ArgumentList.Add("--policy");
                start.ArgumentList.Add(policy);
            }
            start.ArgumentList.Add("--");
        }
        foreach (string arg in command)
            start.ArgumentList.Add(arg);

        start.Environment["ME_ROOT"] = Path.Combine(dir, "root");
        start.Environment["ME_LOWER"] = string.Join(':', lowerLayers);
        start.Environment["ME_UPPER"] = Path.Combine(dir, "upper");
        start.Environment["ME_OVERLAY_WORK"] = Path.Combine(dir, "work");
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start unshare");
    }

    /// <summary>Runs to completion; throws with PID 1's output when it fails.</summary>
    public string Run(RunMode mode, IReadOnlyList<string> lowerLayers, IReadOnlyList<string> command, TimeSpan timeout,
        IReadOnlyList<string>? probe = null, string? policy = null) =>
        Tools.Finish(Start(mode, lowerLayers, command, probe, policy), timeout,
            $"{mode.Title()}{(policy is null ? "" : $" --policy {policy}")}: {string.Join(' ', command)}");

    /// <summary>PID 1 of the sandbox that <paramref name="unshare"/> started, once it exists.</summary>
    public static int FindPid1(Process unshare, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                string children = File.ReadAllText($"/proc/{unshare.Id}/task/{unshare.Id}/children").Trim();
                if (children.Length > 0)
                    return int.Parse(children.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
            Thread.Sleep(10);
        }
        throw new BenchmarkException("the sandbox's PID 1 did not appear");
    }

    public void Clean()
    {
        if (Directory.Exists(workRoot))
            Directory.Delete(workRoot, recursive: true);
    }
}

internal sealed class BenchmarkException(string message) : Exception(message);
