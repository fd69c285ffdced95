using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// What the container tests need on top of the namespace tests' prerequisites, checked once,
/// with the Debian packages that provide it. A missing tool fails every test loudly; nothing is
/// ever skipped (`make deps`, which `make test` runs, installs them all).
/// </summary>
internal static class PodmanPrerequisites
{
    private static readonly Lazy<string?> s_problem = new(Check);

    // tool → the Debian package that has it
    private static readonly (string Tool, string Package)[] s_tools =
    [
        ("podman", "podman"),
        ("runc", "runc"),                // the only OCI runtime that works here (crun does not)
        ("iptables", "iptables"),        // netavark publishes ports (-p) with it
        ("debootstrap", "debootstrap"),  // the sample's Debian base image
        ("musl-gcc", "musl-tools"),      // the musl-only image's program (musl-tools brings musl)
        ("apt-get", "apt"),              // `apt-get download` of a package to install at run time
        ("tar", "tar"),
        ("flock", "util-linux"),
        ("findmnt", "util-linux"),
        ("file", "file"),
    ];

    public static void Require()
    {
        Prerequisites.Require();
        if (s_problem.Value is { } problem)
            throw new InvalidOperationException("container test prerequisites missing: " + problem);
    }

    private static string? Check()
    {
        var missing = s_tools.Where(t => Prerequisites.FindInPath(t.Tool) is null).ToList();
        var problems = new List<string>();
        if (missing.Count > 0)
        {
            problems.Add($"{string.Join(", ", missing.Select(t => $"'{t.Tool}'"))} not found in PATH; " +
                $"install them with: apt-get install {string.Join(' ', missing.Select(t => t.Package).Distinct())} (or run `make deps` as root)");
        }
        if (!File.Exists("/lib/ld-musl-x86_64.so.1"))
            problems.Add("/lib/ld-musl-x86_64.so.1 not found (apt-get install musl)");
        // Dockerfile.micro packages artifacts/microenforcer: another binary would not be the one tested.
        string packaged = Path.Combine(Prerequisites.RepositoryRoot, "artifacts", "microenforcer");
        if (Path.GetFullPath(Prerequisites.EnforcerBinary) != packaged)
            problems.Add($"MICROENFORCER_BINARY={Prerequisites.EnforcerBinary}: the container tests package {packaged} with Dockerfile.micro; unset it");
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}
