using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// The podman command line, with the flags these machines need on every call. Debian 12's
/// podman picks crun and systemd cgroups by default; neither works here, runc with cgroupfs does.
/// </summary>
internal static class Podman
{
    /// <summary>Global flags, before the subcommand.</summary>
    public static readonly string[] GlobalFlags = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"];

    /// <summary>
    /// Flags of every `podman run`: podman's default limits for root (nofile 1048576) are above
    /// the hard limits this machine lets root raise to, and runc's setrlimit fails with EPERM
    /// ("error setting rlimit type 7") before the container starts.
    /// </summary>
    public static readonly string[] RunFlags = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

    /// <summary>Label on every test container, so leftovers of a killed run can be found.</summary>
    public const string TestLabel = "dev.microenforcer.test=1";

    public static ProcessRunner.Result Run(IEnumerable<string> args, TimeSpan? timeout = null) =>
        ProcessRunner.Run("podman", [.. GlobalFlags, .. args], timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Runs a podman command that must succeed; its output is in the exception otherwise.</summary>
    public static string Check(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        string[] list = [.. args];
        var r = Run(list, timeout);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"podman {string.Join(' ', list)} failed with status {r.ExitCode}\n--- stdout\n{r.Stdout}\n--- stderr\n{r.Stderr}");
        return r.Stdout;
    }

    /// <summary>
    /// `podman build` as users run it here: chroot isolation (no OCI runtime needed for RUN
    /// steps) and never pulling (no registry is reachable; every FROM and COPY --from image is
    /// local). The layer cache is on, as for users: an unchanged binary rebuilds nothing, and a
    /// COPY --from of a changed enforcer image is copied again (checked by a test).
    /// </summary>
    public static void Build(string context, string tag, string? containerfile = null, params string[] buildArgs)
    {
        var args = new List<string> { "build", "--isolation", "chroot", "--pull=never", "-t", tag };
        if (containerfile is not null)
            args.AddRange(["-f", containerfile]);
        foreach (string buildArg in buildArgs)
            args.AddRange(["--build-arg", buildArg]);
        args.Add(context);
        Check(args, TimeSpan.FromMinutes(5));
    }
}
