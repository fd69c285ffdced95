using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// File Integrity Monitoring against real calls (TestPrograms/file_ops.c) on files the container's
/// own layer holds under /srv/w (watched) and /srv/u (not): each change is one event with its
/// operation, its real path however the call named it (relative, dirfd, "..", a symlinked
/// directory, a dangling symlink, i386), the process, and the SHA-256 before and after; reads
/// and unwatched paths are none; and every call answers what it answers without the enforcer.
/// </summary>
public sealed class FileIntegrityTests(ITestOutputHelper output)
{
    private const string Policy = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          fileIntegrityMonitoring: { enabled: true, paths: [/srv/w] }
        """;

    private static readonly string Old = Sha("old\n"), New = Sha("new\n"), Empty = Sha(""), O = Sha("o");

    // case, then the events it makes: operation, path, new path, sha256 before, after ("-": not asserted).
    private static readonly (string Case, (string Op, string Path, string? NewPath, string? Before, string? After)[] Events)[] Cases =
    [
        ("write", [("write", "/srv/w/write.txt", null, Old, New)]),
        ("trunc_open", [("truncate", "/srv/w/trunc_open.txt", null, Old, New)]),
        ("create", [("create", "/srv/w/created.txt", null, null, New)]),
        ("creat", [("create", "/srv/w/creat.txt", null, null, New)]),
        ("rdonly_create", [("create", "/srv/w/rdonly_created.txt", null, null, Empty)]),
        ("truncate", [("truncate", "/srv/w/truncate.txt", null, Old, Empty)]),
        ("ftruncate", [("write", "/srv/w/ftruncate.txt", null, Old, "-"), ("truncate", "/srv/w/ftruncate.txt", null, Old, O)]),
        ("unlink", [("delete", "/srv/w/unlink.txt", null, Old, null)]),
        ("rename", [("rename", "/srv/w/rename.txt", "/srv/w/renamed.txt", null, Old)]),
        ("rename_in", [("rename", "/srv/u/moved_in.txt", "/srv/w/moved_in.txt", null, Old)]),
        ("link", [("link", "/srv/w/link.txt", "/srv/w/linked.txt", null, Old)]),
        ("symlink", [("symlink", "/srv/w/symlink", null, null, null)]),
        ("mkdir", [("mkdir", "/srv/w/newdir", null, null, null)]),
        ("rmdir", [("delete", "/srv/w/emptydir", null, null, null)]),
        ("mknod", [("mknod", "/srv/w/fifo", null, null, null)]),
        ("chmod", [("chmod", "/srv/w/chmod.txt", null, Old, Old)]),
        ("chown", [("chown", "/srv/w/chown.txt", null, Old, Old)]),
        ("fchmod", [("chmod", "/srv/w/fchmod.txt", null, Old, Old)]),
        ("setxattr", [("setxattr", "/srv/w/xattr.txt", null, Old, Old)]),
        ("removexattr", [("removexattr", "/srv/w/xattr.txt", null, Old, Old)]),
        ("relative", [("write", "/srv/w/relative.txt", null, Old, New)]),
        ("dirfd", [("write", "/srv/w/dirfd.txt", null, Old, New)]),
        ("dotdot", [("write", "/srv/w/dotdot.txt", null, Old, New)]),
        ("symdir", [("write", "/srv/w/symdir.txt", null, Old, New)]),
        ("dangling", [("create", "/srv/w/dangled.txt", null, null, New)]),
        ("openat2", [("write", "/srv/w/openat2.txt", null, Old, New)]),
        ("openat2_read", []),
        ("read", []),
        ("unwatched", []),
        ("i386_write", [("write", "/srv/w/i386_write.txt", null, Old, New)]),
        ("i386_chmod", [("chmod", "/srv/w/i386_chmod.txt", null, Old, Old)]),
        ("i386_unlink", [("delete", "/srv/w/i386_unlink.txt", null, Old, null)]),
        ("i386_rename", [("rename", "/srv/w/i386_rename.txt", "/srv/w/i386_renamed.txt", null, Old)]),
        ("i386_relative", [("truncate", "/srv/w/i386_rel.txt", null, Old, New)]),
    ];

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // The container's own layer: every file a case changes, holding "old\n".
    private static void Prepare(string upper)
    {
        string w = Path.Combine(upper, "srv/w"), u = Path.Combine(upper, "srv/u");
        Directory.CreateDirectory(Path.Combine(w, "sub"));
        Directory.CreateDirectory(Path.Combine(w, "emptydir"));
        Directory.CreateDirectory(u);
        foreach (string name in new[] { "write", "trunc_open", "truncate", "ftruncate", "unlink", "rename", "link", "chmod", "chown", "xattr",
                     "fchmod", "relative", "dirfd", "dotdot", "symdir", "openat2", "i386_write", "i386_chmod", "i386_unlink", "i386_rename", "i386_rel", "held" })
            System.IO.File.WriteAllText(Path.Combine(w, name + ".txt"), "old\n");
        System.IO.File.WriteAllText(Path.Combine(u, "other.txt"), "old\n");
        System.IO.File.WriteAllText(Path.Combine(u, "moved_in.txt"), "old\n");
    }

    [Fact]
    public void EachChangeIsOneEventUnderItsRealPathWithItsHashesAndTheCallAnswersAsWithoutTheEnforcer()
    {
        string[] command = ["/opt/tests/file_ops", .. Cases.Select(c => c.Case)];
        var without = Container.RunRaw(command, prepareLayer: Prepare);
        var r = Container.Run(command, Policy, prepareLayer: Prepare);
        output.WriteLine(without.ToString());
        output.WriteLine(r.ToString());

        // Every case worked natively, and answered the same under the enforcer.
        Assert.Equal(Cases.Select(c => $"{c.Case}: ok"), Lines(without.Stdout));
        Assert.Equal(Lines(without.Stdout), Lines(r.Stdout));
        Assert.Equal(0, r.ExitCode);

        var events = r.Events("fileIntegrity", "detected").ToList();
        Assert.Equal(r.AuditEvents.Count, events.Count);
        var expected = Cases.SelectMany(c => c.Events.Select(e => (c.Case, e))).ToList();
        var remaining = new List<JsonElement>(events);
        foreach (var (name, e) in expected)
        {
            var found = remaining.FirstOrDefault(x => File(x).GetProperty("operation").GetString() == e.Op && File(x).GetProperty("path").GetString() == e.Path);
            Assert.True(found.ValueKind == JsonValueKind.Object, $"{name}: no {e.Op} event of {e.Path}\n{r}");
            remaining.Remove(found);
            JsonElement file = File(found);
            Assert.Equal(e.NewPath, file.TryGetProperty("newPath", out var newPath) ? newPath.GetString() : null);
            if (e.Before != "-")
                Assert.True(e.Before == file.GetProperty("sha256Before").GetString(), $"{name}: before\n{found}");
            if (e.After != "-")
                Assert.True(e.After == file.GetProperty("sha256After").GetString(), $"{name}: after\n{found}");
            Assert.True(file.GetProperty("changeSeen").GetBoolean(), $"{name}: the change was not seen\n{found}");
            // The process that made it.
            Assert.NotEqual(1, found.GetProperty("pid").GetInt32());
            Assert.Equal("/opt/tests/file_ops", found.GetProperty("path").GetString());
            Assert.StartsWith("/opt/tests/file_ops ", found.GetProperty("cmdline").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, found.GetProperty("uid").GetInt32());
            Assert.Equal("audit", found.GetProperty("mode").GetString());
        }
        Assert.True(remaining.Count == 0, $"events no case made:\n{string.Join('\n', remaining)}");
        Assert.Equal("/etc/passwd", File(events.Single(e => File(e).GetProperty("operation").GetString() == "symlink")).GetProperty("linkTarget").GetString());
    }

    [Fact]
    public void AnOpenRuleOfBlockPtraceFallsThroughToFileIntegrityMonitoringsOwn()
    {
        // Block ptrace notifies opens with O_WRONLY or O_RDWR; an O_RDONLY|O_CREAT open fails its
        // test and must reach FIM's rule (O_CREAT) rather than be allowed.
        const string both = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              blockPtrace: { enabled: true }
              fileIntegrityMonitoring: { enabled: true, paths: [/srv/w/**] }
            """;
        var r = Container.Run(["/opt/tests/file_ops", "rdonly_create", "write", "unwatched"], both, prepareLayer: Prepare);
        output.WriteLine(r.ToString());

        Assert.Equal(["rdonly_create: ok", "write: ok", "unwatched: ok"], Lines(r.Stdout));
        Assert.Equal([("create", "/srv/w/rdonly_created.txt"), ("write", "/srv/w/write.txt")],
            r.Events("fileIntegrity", "detected").Select(e => (File(e).GetProperty("operation").GetString(), File(e).GetProperty("path").GetString())));
        Assert.Equal(2, r.AuditEvents.Count);
    }

    [Fact]
    public void WithNoListTheDefaultsAreWatchedAndFilesOverMaxHashBytesAreNotHashed()
    {
        const string defaults = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              fileIntegrityMonitoring: { enabled: true, maxHashBytes: 8 }
            """;
        var r = Container.Run(["/bin/sh", "-c", "echo nobody2:x:65533:65533::/:/bin/sh >> /etc/passwd; echo x > /tmp/not-watched; echo done"],
            defaults);
        output.WriteLine(r.ToString());

        Assert.Equal(["done"], Lines(r.Stdout));
        var e = Assert.Single(r.Events("fileIntegrity", "detected"));
        Assert.Single(r.AuditEvents);
        JsonElement file = File(e);
        Assert.Equal("write", file.GetProperty("operation").GetString());
        Assert.Equal("/etc/passwd", file.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, file.GetProperty("sha256Before").ValueKind);
        Assert.StartsWith("larger than maxHashBytes", file.GetProperty("beforeNote").GetString(), StringComparison.Ordinal);
        Assert.Equal("/bin/busybox", e.GetProperty("path").GetString());
    }

    [Fact]
    public void AChangeNotSeenWithinItsWaitIsStillOneEventThatSaysSo()
    {
        // A call that fails, then a writer holding a file open past the 5 s wait for its close (the
        // workload lives on meanwhile: the failed call's 1 s wait runs out before it exits).
        var r = Container.Run(["/opt/tests/file_ops", "unlink_missing", "hold_open"], Policy, prepareLayer: Prepare);
        output.WriteLine(r.ToString());

        Assert.Equal(["unlink_missing: errno 2", "hold_open: ok"], Lines(r.Stdout));
        Assert.Equal(2, r.AuditEvents.Count);
        JsonElement held = File(r.AuditEvents.Single(e => File(e).GetProperty("path").GetString() == "/srv/w/held.txt"));
        Assert.Equal("truncate", held.GetProperty("operation").GetString());
        Assert.False(held.GetProperty("changeSeen").GetBoolean());
        Assert.Equal(Old, held.GetProperty("sha256Before").GetString());
        Assert.Equal(New, held.GetProperty("sha256After").GetString());   // as it was when the wait ended
        Assert.Contains("may still be open for writing", held.GetProperty("afterNote").GetString(), StringComparison.Ordinal);
        JsonElement missing = r.AuditEvents.Single(e => File(e).GetProperty("path").GetString() == "/srv/w/missing.txt");
        Assert.Equal("delete", File(missing).GetProperty("operation").GetString());
        Assert.False(File(missing).GetProperty("changeSeen").GetBoolean());
        Assert.Contains("the call may have failed", missing.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AChangeStillWaitingWhenTheWorkloadExitsIsReportedNotLost()
    {
        var r = Container.Run(["/opt/tests/file_ops", "unlink_missing"], Policy, prepareLayer: Prepare);
        output.WriteLine(r.ToString());

        JsonElement e = Assert.Single(r.AuditEvents);
        Assert.Equal("/srv/w/missing.txt", File(e).GetProperty("path").GetString());
        Assert.False(File(e).GetProperty("changeSeen").GetBoolean());
        Assert.Contains("not seen before the enforcer stopped", e.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void OffByDefaultNothingIsReported()
    {
        string[] command = ["/opt/tests/file_ops", "write", "create", "unlink", "chmod"];
        var r = Container.Run(command, prepareLayer: Prepare);

        Assert.Equal(["write: ok", "create: ok", "unlink: ok", "chmod: ok"], Lines(r.Stdout));
        Assert.Empty(r.AuditEvents);
    }

    private static JsonElement File(JsonElement e) => e.GetProperty("file");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
