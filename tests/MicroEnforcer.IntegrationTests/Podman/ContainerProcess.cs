using System.Globalization;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// A process of a running container as `podman top` lists it (which reads the kernel's /proc
/// from the host, without an exec session in the container), with its pid on the host so its
/// /proc/PID/status can be read there too.
/// </summary>
internal sealed record ContainerProcess(int HostPid, int Pid, string User, string Args)
{
    /// <summary>Parses `podman top NAME hpid pid user args`: a header, then one process a line.</summary>
    public static List<ContainerProcess> ParseTop(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(line => line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(f => f.Length >= 3)
            .Select(f => new ContainerProcess(int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f.Length > 3 ? f[3] : ""))
            .ToList();

    /// <summary>A field of the process's /proc/PID/status, read on the host ("Uid", "Seccomp", ...).</summary>
    public string Status(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{HostPid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return line[(field.Length + 1)..].Trim();
        }
        throw new InvalidOperationException($"/proc/{HostPid}/status (pid {Pid} in the container: {Args}) has no {field} line");
    }

    public override string ToString() => $"pid {Pid} (host {HostPid}) {User}: {Args}";
}
