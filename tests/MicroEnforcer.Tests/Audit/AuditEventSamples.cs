using MicroEnforcer.Audit;

namespace MicroEnforcer.Tests.Audit;

/// <summary>
/// Events of every shape a control writes, for the format tests: the common fields alone, nulls
/// and hostile text, a network finding, a file change, a port scan, Forensics' facts, a policy
/// reload and an audit sink's drops.
/// </summary>
internal static class AuditEventSamples
{
    public static readonly DateTimeOffset Time = new(2026, 11, 22, 2, 26, 16, TimeSpan.Zero);

    public static AuditEvent Drift() =>
        new("drift", AuditAction.Blocked, "enforce", 13, 9, 0, "/bin/list", "list", "list -l", "not in the image baseline", "execve")
        {
            Time = Time,
        };

    /// <summary>Unknown ppid/uid/requestedPath/cmdline, a newline and quotes in a path, a byte that is not UTF-8, non-ASCII text, sub-second time in another offset.</summary>
    public static AuditEvent Hostile() =>
        new("fileless", AuditAction.Killed, "enforce", 5, null, null, "/tmp/x\n{\"source\":\"forged\"}\udcff\u00e9", null, null, "memfd \"exec\" ]\\", "execve")
        {
            Time = new DateTimeOffset(2026, 11, 22, 4, 26, 16, TimeSpan.FromHours(2)).AddTicks(1234567),
        };

    public static AuditEvent Network() =>
        new("portBlock", AuditAction.Detected, "audit", 42, 1, 1000, "/usr/bin/curl", null, "curl http://10.0.0.1:25/", "port 25 is blocked", "connect")
        {
            Time = Time,
            Count = 3,
            Remote = "10.0.0.1:25",
            Local = "0.0.0.0:0",
            Protocol = "tcp",
            Domain = "mail.example.com",
        };

    public static AuditEvent File() =>
        new("fileIntegrity", AuditAction.Detected, "audit", 77, 1, 0, "/bin/sh", "/etc/passwd", "sh -c mv", "rename of a monitored file", "renameat2")
        {
            Time = Time,
            File = new FileChange("rename", "/etc/passwd", "/etc/passwd\udc80.new", null, null, "absent", "ab12", null, true),
        };

    public static AuditEvent Symlink() =>
        new("fileIntegrity", AuditAction.Blocked, "enforce", 78, 1, 0, "/bin/ln", null, "ln -s", "symlink in a monitored directory", "symlinkat")
        {
            Time = Time,
            File = new FileChange("symlink", "/etc/x", null, "/tmp/target", "00ff", null, null, "not a regular file", false),
        };

    public static AuditEvent Scan() =>
        new("portScanDetection", AuditAction.Detected, "audit", 99, 1, 0, "/usr/bin/nmap", null, "nmap 10.0.0.0/24", "port scan: 25 targets in 5s", "connect")
        {
            Time = Time,
            Targets = new ScanTargets(25, ["10.0.0.1:22", "[fe80::1]:80"], 20),
        };

    public static AuditEvent ProcessExit() =>
        new("forensics", AuditAction.Observed, "audit", 120, 1, 0, "/bin/sleep", null, "sleep 1", "process exited", "exit")
        {
            Time = Time,
            Forensics = new ForensicsFacts("process-exit") { Cwd = "/srv\udcfe", Exit = "killed", Signal = 9, LifetimeMs = 1000 },
        };

    public static AuditEvent Connections() =>
        new("forensics", AuditAction.Observed, "audit", 121, 1, 0, "/usr/sbin/nginx", null, "nginx", "connections", "accept4")
        {
            Time = Time,
            Count = 1200,
            Forensics = new ForensicsFacts("connections") { Result = "ok", IntervalMs = 60000, Remotes = ["10.0.0.2", "10.0.0.3"], DistinctRemotes = 2, ExitCode = 0 },
        };

    public static AuditEvent EmptyRemotes() =>
        new("forensics", AuditAction.Observed, "audit", 122, null, null, "/usr/sbin/nginx", null, null, "connections", "accept4")
        {
            Time = Time,
            Forensics = new ForensicsFacts("connections") { Remotes = [] },
        };

    public static AuditEvent Reload() =>
        new("policyReload", AuditAction.Observed, "enforce", 1, 0, 0, "/etc/microenforcer/policy.yaml", null, null,
            "policy reloaded: 1 change applied, 1 waits for a restart", "inotify")
        {
            Time = Time,
            Reload = new PolicyReloadFacts("/etc/microenforcer/policy.yaml", "pending-restart", "aa", "bb",
                ["driftPrevention.mode: audit -> enforce"], ["portBlock: enabled"], []),
        };

    public static AuditEvent RejectedReload() =>
        new("policyReload", AuditAction.Observed, "enforce", 1, 0, 0, "/etc/microenforcer/policy.yaml", null, null,
            "policy rejected: 2 errors; the policy in force is unchanged", "inotify")
        {
            Time = Time,
            Reload = new PolicyReloadFacts("/etc/microenforcer/policy.yaml", "rejected", "aa", null,
                [], [], ["line 3: unknown field \"mdoe\"", "line 9: maxProcesses must be 1..100000"]),
        };

    public static AuditEvent Dropped() =>
        new("audit", AuditAction.Observed, "enforce", 1, 0, 0, "otlp", null, null, "dropped 1234 events: the sink's queue was full", "audit")
        {
            Time = Time,
            Dropped = new SinkDropFacts("otlp", 1234),
        };

    /// <summary>The events today's JSON line already had, before the schema.</summary>
    public static IEnumerable<(string Name, AuditEvent Event)> Legacy() =>
    [
        (nameof(Drift), Drift()), (nameof(Hostile), Hostile()), (nameof(Network), Network()), (nameof(File), File()),
        (nameof(Symlink), Symlink()), (nameof(Scan), Scan()), (nameof(ProcessExit), ProcessExit()),
        (nameof(Connections), Connections()), (nameof(EmptyRemotes), EmptyRemotes()),
    ];

    public static IEnumerable<(string Name, AuditEvent Event)> All() =>
        [.. Legacy(), (nameof(Reload), Reload()), (nameof(RejectedReload), RejectedReload()), (nameof(Dropped), Dropped())];
}
