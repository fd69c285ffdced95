using System.Text.Json;

namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// One throw-away container: fresh pid, mount and network namespaces (loopback only), an overlay
/// root over the shared image (its own upper layer), private /proc, tmpfs /tmp, /dev and
/// /dev/shm, a devpts instance of its own (ptys), and the enforcer as PID 1 via chroot. Nothing is mocked: the kernel under test is
/// the machine's.
/// </summary>
internal static class Container
{
    internal const string SetupScript = """
        set -e
        /bin/busybox ip link set lo up
        R="$ME_MERGED"
        mount -t overlay overlay -o "lowerdir=$ME_LOWER,upperdir=$ME_UPPER,workdir=$ME_WORK" "$R"
        mount -t proc proc "$R/proc"
        mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
        mount -t tmpfs -o mode=755 tmpfs "$R/dev"
        mknod -m 666 "$R/dev/null" c 1 3
        mknod -m 666 "$R/dev/zero" c 1 5
        mknod -m 666 "$R/dev/urandom" c 1 9
        mkdir "$R/dev/shm"
        mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
        mkdir "$R/dev/pts"
        mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
        ln -s pts/ptmx "$R/dev/ptmx"
        ln -s /proc/self/fd "$R/dev/fd"
        if [ -n "${ME_RO_VOLUME:-}" ]; then
          mkdir -p "$R$ME_RO_TARGET"
          mount --bind "$ME_RO_VOLUME" "$R$ME_RO_TARGET"
          mount -o remount,bind,ro "$R$ME_RO_TARGET"
        fi
        exec $ME_PID1_WRAPPER chroot "$R" "$@"
        """;

    public const string PolicyPathInContainer = "/etc/microenforcer/policy.yaml";

    /// <summary>unshare's arguments up to PID 1's command: the namespaces and the setup script.</summary>
    internal static string[] UnshareArguments(bool hostNetwork) =>
        // Own network namespace by default: only a loopback, so listeners of parallel tests cannot meet.
        ["--pid", "--fork", "--mount", .. hostNetwork ? Array.Empty<string>() : ["--net"], "--propagation", "private", "--", "/bin/sh", "-c", SetupScript, "sh"];

    /// <summary>Runs `microenforcer run [--policy] -- command` as PID 1.</summary>
    /// <param name="prepareLayer">Fills the container's own layer (its upper directory) before PID 1 starts, as a runtime does.</param>
    /// <param name="pid1Wrapper">A host command PID 1 is exec'd through, inside the container's namespaces (see <see cref="RunRaw"/>).</param>
    /// <param name="hostNetwork">Whether the container keeps the host's network namespace (see <see cref="RunRaw"/>).</param>
    public static RunResult Run(string[] command, string? policy = null, string[]? extraRunOptions = null, TimeSpan? timeout = null,
        ImageRootfs? image = null, Action<string>? prepareLayer = null, string pid1Wrapper = "", bool hostNetwork = false)
    {
        var launcher = new List<string> { "/.microenforcer/microenforcer", "run" };
        if (policy is not null)
            launcher.AddRange(["--policy", PolicyPathInContainer]);
        launcher.AddRange(extraRunOptions ?? []);
        launcher.Add("--");
        launcher.AddRange(command);
        return RunRaw([.. launcher], policy, timeout, image, pid1Wrapper, prepareLayer, hostNetwork);
    }

    /// <summary>Runs any command as PID 1 of the container (the enforcer, or a baseline without it).</summary>
    /// <param name="pid1Wrapper">A command PID 1 is exec'd through, e.g. setpriv to take capabilities away.</param>
    /// <param name="hostNetwork">
    /// Keep the host's network namespace instead of a fresh one, so that PID 1 reaches servers the
    /// test runs on the host's loopback (the audit sinks' receivers, an rsyslog); such a test picks
    /// free ports, as it shares them with every other test.
    /// </param>
    public static RunResult RunRaw(string[] pid1Command, string? policy = null, TimeSpan? timeout = null, ImageRootfs? image = null,
        string pid1Wrapper = "", Action<string>? prepareLayer = null, bool hostNetwork = false)
    {
        image ??= ImageRootfs.Shared;
        string dir = Directory.CreateTempSubdirectory("microenforcer-ct-").FullName;
        try
        {
            string upper = Path.Combine(dir, "upper"), work = Path.Combine(dir, "work"), merged = Path.Combine(dir, "merged");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            Directory.CreateDirectory(merged);
            if (policy is not null)
            {
                Directory.CreateDirectory(Path.Combine(upper, "etc/microenforcer"));
                File.WriteAllText(Path.Combine(upper, PolicyPathInContainer.TrimStart('/')), policy);
            }
            prepareLayer?.Invoke(upper);
            var args = new List<string>(UnshareArguments(hostNetwork));
            args.AddRange(pid1Command);
            var result = ProcessRunner.Run("unshare", args, timeout ?? TimeSpan.FromSeconds(90), new Dictionary<string, string>
            {
                ["ME_LOWER"] = image.Path,
                ["ME_UPPER"] = upper,
                ["ME_WORK"] = work,
                ["ME_MERGED"] = merged,
                ["ME_PID1_WRAPPER"] = pid1Wrapper,
                ["PATH"] = "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            });
            return new RunResult(result.ExitCode, result.Stdout, result.Stderr);
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}

/// <summary>What a container run showed: status, output, and the audit events on stderr.</summary>
internal sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public IReadOnlyList<JsonElement> AuditEvents { get; } = ParseAudit(Stderr);

    public IEnumerable<JsonElement> Events(string control, string action) =>
        AuditEvents.Where(e => e.GetProperty("control").GetString() == control && e.GetProperty("action").GetString() == action);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>The enforcer's audit events among the lines of a stderr stream (also `podman logs`).</summary>
    internal static List<JsonElement> ParseAudit(string stderr)
    {
        var events = new List<JsonElement>();
        foreach (string line in stderr.Split('\n'))
        {
            if (!line.StartsWith('{'))
                continue;
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("source", out var source) && source.GetString() == "microenforcer")
                events.Add(doc.RootElement.Clone());
        }
        return events;
    }
}
