using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// What `podman logs` shows of a container: the workload's stdout, and on stderr the enforcer's
/// log lines and audit events (JSON lines) mixed with the workload's own errors, as a log
/// collector receives them.
/// </summary>
internal sealed record ContainerLogs(string Stdout, string Stderr)
{
    public IReadOnlyList<JsonElement> AuditEvents { get; } = RunResult.ParseAudit(Stderr);

    /// <summary>
    /// Audit events of one control about one exec'd path, whatever their action: the path as the
    /// process passed it, or as resolved (Debian's /bin is a symlink, so /bin/list is /usr/bin/list).
    /// </summary>
    public IEnumerable<JsonElement> EventsFor(string control, string path) =>
        AuditEvents.Where(e => e.GetProperty("control").GetString() == control &&
            (e.GetProperty("path").GetString() == path || (e.TryGetProperty("requestedPath", out var requested) && requested.ValueKind == JsonValueKind.String && requested.GetString() == path)));

    public override string ToString() => $"--- podman logs: stdout\n{Stdout}\n--- podman logs: stderr\n{Stderr}";
}
