using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// The drift scenario run by the workload itself (a descendant of PID 1): copy an image binary
/// to a new path and run the copy. The copy is asked to print a marker, so "its code did not
/// run" is checked by the marker's absence, not only by an exit status.
/// </summary>
internal static class DriftScenario
{
    public const string Marker = "DRIFTED-CODE-RAN";

    /// <summary>Printed after the attempt with the shell's `$?`: 126 is "found but cannot execute".</summary>
    public const string ExitLine = "drifted-exit=";

    /// <summary>Shell text: copy /bin/echo to DRIFTED, run it with the marker, report its status.</summary>
    public static string Shell(string drifted) =>
        $"cp /bin/echo {drifted} && {drifted} {Marker}; echo \"{ExitLine}$?\"";

    /// <summary>A workload for the nginx images: the scenario first, then the shell becomes nginx.</summary>
    public static string[] ThenNginx(string drifted, string before = "") =>
        ["/bin/sh", "-c", $"{before}{Shell(drifted)}; exec nginx -g 'daemon off;'"];

    /// <summary>The logs once the scenario has reported (conmon writes them asynchronously).</summary>
    public static ContainerLogs WaitForReport(PodmanContainer container) =>
        container.WaitForLogs(l => l.Stdout.Contains(ExitLine, StringComparison.Ordinal) && l.AuditEvents.Count > 0);

    /// <summary>The shell saw `Permission denied` (status 126), the marker never printed, and it was audited.</summary>
    public static void AssertRefusedInShell(ContainerLogs logs, string drifted)
    {
        Assert.True(logs.Stdout.Contains($"{ExitLine}126", StringComparison.Ordinal), $"the shell did not report status 126 for {drifted}\n{logs}");
        Assert.True(logs.Stderr.Contains($"{drifted}: Permission denied", StringComparison.Ordinal), $"no '{drifted}: Permission denied' from the shell\n{logs}");
        Assert.False(logs.Stdout.Contains(Marker, StringComparison.Ordinal), $"the drifted copy {drifted} ran\n{logs}");
        AssertAuditedAsBlocked(logs, drifted);
    }

    /// <summary>
    /// Drift events for the path, every one blocked at syscall entry in enforce mode; the first.
    /// There can be more than one: a shell looking a name up in PATH tries the next directory
    /// after EACCES, and on Debian /bin and /usr/bin are the same directory.
    /// </summary>
    public static JsonElement AssertAuditedAsBlocked(ContainerLogs logs, string drifted)
    {
        var events = logs.EventsFor("drift", drifted).ToList();
        Assert.True(events.Count > 0, $"no drift audit event for {drifted}\n{logs}");
        foreach (JsonElement e in events)
        {
            Assert.True(e.GetProperty("action").GetString() == "blocked", $"action is not 'blocked': {e}\n{logs}");
            Assert.True(e.GetProperty("mode").GetString() == "enforce", $"mode is not 'enforce': {e}\n{logs}");
            Assert.True(DriftReasons.MadeAtStart.Contains(e.GetProperty("reason").GetString()), $"unexpected reason: {e}\n{logs}");
            Assert.True(e.GetProperty("pid").GetInt32() > 1, $"pid of the exec'ing process: {e}\n{logs}");
        }
        return events[0];
    }
}
