namespace MicroEnforcer.IntegrationTests.Harness;

/// <summary>
/// What the integration tests need, checked up front with a message that says how to get it.
/// A missing prerequisite fails the test: it is never a silent skip.
/// </summary>
internal static class Prerequisites
{
    private static readonly Lazy<string?> s_problem = new(Check);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The published static binary under test; MICROENFORCER_BINARY overrides.</summary>
    public static string EnforcerBinary =>
        Environment.GetEnvironmentVariable("MICROENFORCER_BINARY") is { Length: > 0 } path
            ? path
            : Path.Combine(RepositoryRoot, "artifacts", "microenforcer");

    public static void Require()
    {
        if (s_problem.Value is { } problem)
            throw new InvalidOperationException("integration test prerequisites missing: " + problem);
    }

    private static string? Check()
    {
        var problems = new List<string>();
        if (Environment.UserName != "root" && !IsRoot())
            problems.Add("must run as root (the tests create pid and mount namespaces and overlay mounts)");
        foreach (string tool in new[] { "unshare", "nsenter", "chroot", "mount", "mknod", "gcc", "setpriv", "ldd", "setcap" })
        {
            if (FindInPath(tool) is null)
                problems.Add($"'{tool}' not found in PATH (make test installs util-linux, coreutils, libc-bin, libcap2-bin and gcc)");
        }
        if (!File.Exists("/bin/busybox"))
            problems.Add("/bin/busybox not found (apt-get install busybox-static)");
        if (!File.Exists(EnforcerBinary))
            problems.Add($"{EnforcerBinary} not found (run `make build` first)");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static bool IsRoot()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        return false;
    }

    public static string? FindInPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin")
            .Split(':')
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MicroEnforcer.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (MicroEnforcer.sln) above " + AppContext.BaseDirectory);
    }
}
