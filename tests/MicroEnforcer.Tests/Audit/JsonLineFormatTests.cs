using System.Text;
using MicroEnforcer.Audit;
using Xunit;

namespace MicroEnforcer.Tests.Audit;

/// <summary>
/// The stderr JSON line is a stable format that users parse: produced from the schema now, it must
/// stay byte for byte what it was. The golden lines were written by AuditLog.Serialize before the
/// schema existed (commit e6a0fc1); reload and dropped are the schema's additions.
/// </summary>
public sealed class JsonLineFormatTests
{
    public static TheoryData<string, string> LegacyLines => new()
    {
        { "Drift", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"drift","action":"blocked","mode":"enforce","pid":13,"ppid":9,"uid":0,"path":"/bin/list","requestedPath":"list","cmdline":"list -l","reason":"not in the image baseline","syscall":"execve"}""" },
        { "Hostile", """{"source":"microenforcer","time":"2026-11-22T02:26:16.1234567Z","control":"fileless","action":"killed","mode":"enforce","pid":5,"ppid":null,"uid":null,"path":"/tmp/x\n{\u0022source\u0022:\u0022forged\u0022}\\xff\u00E9","requestedPath":null,"cmdline":null,"reason":"memfd \u0022exec\u0022 ]\\","syscall":"execve"}""" },
        { "Network", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"portBlock","action":"detected","mode":"audit","pid":42,"ppid":1,"uid":1000,"path":"/usr/bin/curl","requestedPath":null,"cmdline":"curl http://10.0.0.1:25/","reason":"port 25 is blocked","syscall":"connect","count":3,"remote":"10.0.0.1:25","local":"0.0.0.0:0","protocol":"tcp","domain":"mail.example.com"}""" },
        { "File", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"fileIntegrity","action":"detected","mode":"audit","pid":77,"ppid":1,"uid":0,"path":"/bin/sh","requestedPath":"/etc/passwd","cmdline":"sh -c mv","reason":"rename of a monitored file","syscall":"renameat2","file":{"operation":"rename","path":"/etc/passwd","newPath":"/etc/passwd\\x80.new","sha256Before":null,"beforeNote":"absent","sha256After":"ab12","changeSeen":true}}""" },
        { "Symlink", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"fileIntegrity","action":"blocked","mode":"enforce","pid":78,"ppid":1,"uid":0,"path":"/bin/ln","requestedPath":null,"cmdline":"ln -s","reason":"symlink in a monitored directory","syscall":"symlinkat","file":{"operation":"symlink","path":"/etc/x","linkTarget":"/tmp/target","sha256Before":"00ff","sha256After":null,"afterNote":"not a regular file","changeSeen":false}}""" },
        { "Scan", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"portScanDetection","action":"detected","mode":"audit","pid":99,"ppid":1,"uid":0,"path":"/usr/bin/nmap","requestedPath":null,"cmdline":"nmap 10.0.0.0/24","reason":"port scan: 25 targets in 5s","syscall":"connect","targets":{"count":25,"sample":["10.0.0.1:22","[fe80::1]:80"],"failures":20}}""" },
        { "ProcessExit", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"forensics","action":"observed","mode":"audit","pid":120,"ppid":1,"uid":0,"path":"/bin/sleep","requestedPath":null,"cmdline":"sleep 1","reason":"process exited","syscall":"exit","forensics":{"event":"process-exit","cwd":"/srv\\xfe","exit":"killed","signal":9,"lifetimeMs":1000}}""" },
        { "Connections", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"forensics","action":"observed","mode":"audit","pid":121,"ppid":1,"uid":0,"path":"/usr/sbin/nginx","requestedPath":null,"cmdline":"nginx","reason":"connections","syscall":"accept4","count":1200,"forensics":{"event":"connections","exitCode":0,"result":"ok","intervalMs":60000,"remotes":["10.0.0.2","10.0.0.3"],"distinctRemotes":2}}""" },
        { "EmptyRemotes", """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"forensics","action":"observed","mode":"audit","pid":122,"ppid":null,"uid":null,"path":"/usr/sbin/nginx","requestedPath":null,"cmdline":null,"reason":"connections","syscall":"accept4","forensics":{"event":"connections","remotes":[]}}""" },
    };

    [Theory]
    [MemberData(nameof(LegacyLines))]
    public void TheLineIsByteForByteWhatItWasBeforeTheSchema(string name, string golden)
    {
        AuditEvent e = AuditEventSamples.Legacy().Single(s => s.Name == name).Event;

        Assert.Equal(golden, Line(e));
    }

    [Fact]
    public void AReloadCarriesItsFileResultHashesAndChanges()
    {
        Assert.Equal(
            """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"policyReload","action":"observed","mode":"enforce","pid":1,"ppid":0,"uid":0,"path":"/etc/microenforcer/policy.yaml","requestedPath":null,"cmdline":null,"reason":"policy reloaded: 1 change applied, 1 waits for a restart","syscall":"inotify","reload":{"path":"/etc/microenforcer/policy.yaml","result":"pending-restart","oldHash":"aa","newHash":"bb","applied":["driftPrevention.mode: audit -\u003E enforce"],"pending":["portBlock: enabled"],"errors":[]}}""",
            Line(AuditEventSamples.Reload()));
    }

    [Fact]
    public void ARejectedReloadHasNoNewHashAndEveryError()
    {
        Assert.Equal(
            """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"policyReload","action":"observed","mode":"enforce","pid":1,"ppid":0,"uid":0,"path":"/etc/microenforcer/policy.yaml","requestedPath":null,"cmdline":null,"reason":"policy rejected: 2 errors; the policy in force is unchanged","syscall":"inotify","reload":{"path":"/etc/microenforcer/policy.yaml","result":"rejected","oldHash":"aa","newHash":null,"applied":[],"pending":[],"errors":["line 3: unknown field \u0022mdoe\u0022","line 9: maxProcesses must be 1..100000"]}}""",
            Line(AuditEventSamples.RejectedReload()));
    }

    [Fact]
    public void ADropCarriesTheSinkAndTheExactCount()
    {
        Assert.Equal(
            """{"source":"microenforcer","time":"2026-11-22T02:26:16.0000000Z","control":"audit","action":"observed","mode":"enforce","pid":1,"ppid":0,"uid":0,"path":"otlp","requestedPath":null,"cmdline":null,"reason":"dropped 1234 events: the sink\u0027s queue was full","syscall":"audit","dropped":{"sink":"otlp","count":1234}}""",
            Line(AuditEventSamples.Dropped()));
    }

    [Fact]
    public void AuditLogWritesTheLineOfTheSchema()
    {
        var written = new List<string>();
        var log = new AuditLog(line => written.Add(Encoding.UTF8.GetString(line.Span)));

        foreach (var (_, e) in AuditEventSamples.All())
            log.Write(e);

        Assert.Equal(AuditEventSamples.All().Select(s => Encoding.UTF8.GetString(JsonLineFormat.Serialize(AuditSchema.ToProto(s.Event)).Span)), written);
    }

    private static string Line(AuditEvent e) => Encoding.UTF8.GetString(AuditLog.Serialize(e).Span);
}
