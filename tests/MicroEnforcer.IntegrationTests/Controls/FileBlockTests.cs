using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// File Block against the ways to reach a file (TestPrograms/file_attack.c): each works with no
/// file control (the control run), none reads the blocked content in enforce mode, whatever the
/// path, link, directory fd, ABI or race. Unlisted files stay readable.
/// </summary>
public sealed class FileBlockTests(ITestOutputHelper output)
{
    internal const string Secret = "TOPSECRET";

    internal static void AddData(string upper)
    {
        Directory.CreateDirectory(Path.Combine(upper, "data/keys"));
        Directory.CreateDirectory(Path.Combine(upper, "data/sub"));
        File.WriteAllText(Path.Combine(upper, "data/secret"), Secret + " file\n");
        File.WriteAllText(Path.Combine(upper, "data/keys/id"), Secret + " key\n");
        File.WriteAllText(Path.Combine(upper, "data/decoy"), "decoy\n");
        File.WriteAllText(Path.Combine(upper, "data/sub/other"), "other\n");
    }

    private static string Policy(string mode, string files = "[/data/secret, /data/keys/**]", string extra = "") => $$"""
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          fileBlock:
            enabled: true
            mode: {{mode}}
            files: {{files}}
        {{extra}}
        """;

    public static TheoryData<string, string> ReadAttacks => new()
    {
        { "read", "/data/secret" }, { "openat", "/data/secret" }, { "dotdot", "/data/secret" }, { "opath_reopen", "/data/secret" },
        { "proc_root", "/data/secret" }, { "symlink", "/data/secret" }, { "hardlink", "/data/secret" }, { "rename_dir", "/data/secret" },
        { "openat2", "/data/secret" }, { "i386", "/data/secret" }, { "flip", "/data/secret" },
        { "read", "/data/keys/id" }, { "openat", "/data/keys/id" }, { "rename_dir", "/data/keys/id" }, { "flip", "/data/keys/id" },
    };

    private RunResult Attack(string attack, string target, string? policy) =>
        Run($"/opt/tests/file_attack {attack} {target} /data/sub/other", policy);

    private RunResult Run(string script, string? policy)
    {
        var r = Container.Run(["/bin/sh", "-c", script], policy, prepareLayer: AddData);
        output.WriteLine(r.ToString());
        return r;
    }

    [Theory]
    [MemberData(nameof(ReadAttacks))]
    public void TheAttackReadsTheFileWithoutTheControl(string attack, string target)
    {
        var r = Attack(attack, target, null);

        Assert.Contains($"{attack}: ok {Secret}", r.Stdout);
    }

    [Theory]
    [MemberData(nameof(ReadAttacks))]
    public void TheAttackCannotReadTheFileInEnforceMode(string attack, string target)
    {
        var r = Attack(attack, target, Policy("enforce"));

        Assert.Contains($"{attack}: ", r.Stdout);
        Assert.DoesNotContain(Secret, r.Stdout);
        Assert.Equal(0, r.ExitCode);
        if (attack == "flip")
            RaceRan.Assert(r.Stdout, attack);
    }

    [Fact]
    public void ARefusedReadIsAnAuditEvent_AndAnAllowedOneIsNot()
    {
        var r = Run("cat /data/secret; echo cat=$?; cat /data/decoy", Policy("enforce"));

        Assert.Contains("cat=1", r.Stdout);
        Assert.Contains("decoy", r.Stdout);
        var e = Assert.Single(r.AuditEvents);
        Assert.Equal("fileBlock", e.GetProperty("control").GetString());
        Assert.Equal("blocked", e.GetProperty("action").GetString());
        Assert.Equal("/data/secret", e.GetProperty("requestedPath").GetString());
        Assert.Equal("/bin/busybox", e.GetProperty("path").GetString());
        Assert.Equal("read of /data/secret: '/data/secret' in the blocked files (spec.fileBlock.files) blocks read", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void AMissingFileInABlockedDirectory_IsStillNoSuchFile()
    {
        var r = Run("cat /data/keys/missing; echo cat=$?", Policy("enforce"));

        Assert.Contains("No such file or directory", r.Stderr);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void WithoutReportAttempts_TheKernelStillRefusesAndNothingIsReported()
    {
        var r = Run("cat /data/secret; echo cat=$?", Policy("enforce").Replace("enabled: true", "enabled: true\n    reportAttempts: false", StringComparison.Ordinal));

        Assert.Contains("cat=1", r.Stdout);
        Assert.DoesNotContain(Secret, r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void UnlistedFilesStayReadableAndWritable()
    {
        var r = Run("cat /data/decoy /data/sub/other; echo more >> /data/sub/other && echo appended; echo new > /tmp/t && cat /tmp/t; ls /data /data/keys",
            Policy("enforce"));

        Assert.Contains("decoy\nother\nappended\nnew\n", r.Stdout);
        Assert.Contains("keys", r.Stdout);
        Assert.Contains("id", r.Stdout);   // names in a blocked directory can be listed (docs/controls.md)
    }

    [Fact]
    public void AFileCreatedLaterInABlockedDirectoryIsBlockedToo()
    {
        var r = Run("echo TOPSECRET new > /data/keys/new && echo created; cat /data/keys/new; echo cat=$?",
            Policy("enforce", "[{path: /data/keys/**, block: [read]}]"));

        Assert.Contains("created", r.Stdout);
        Assert.Contains("cat=1", r.Stdout);
        Assert.DoesNotContain("TOPSECRET new", r.Stdout);
    }

    [Fact]
    public void BlockingOnlyWrites_LeavesReading()
    {
        var r = Run("cat /data/secret; echo x >> /data/secret; echo write=$?; cat /data/secret",
            Policy("enforce", "[{path: /data/secret, block: [write]}]"));

        Assert.Contains("write=1", r.Stdout);   // sh: cannot create
        Assert.Equal(2, r.Stdout.Split(Secret).Length - 1);
        Assert.DoesNotContain("x\n", r.Stdout);
    }

    [Fact]
    public void ABlockedExecutableIsRefusedWithAnAuditEvent()
    {
        var r = Run("/opt/tests/pwned; echo exec=$?; head -c 4 /opt/tests/pwned | od -c | head -1",
            Policy("enforce", "[{path: /opt/tests/pwned, block: [exec]}]"));

        Assert.Contains("exec=126", r.Stdout);
        Assert.DoesNotContain("PWNED", r.Stdout);
        Assert.Contains("E   L   F", r.Stdout);   // still readable
        var e = Assert.Single(r.Events("fileBlock", "blocked"));
        Assert.Equal("/opt/tests/pwned", e.GetProperty("path").GetString());
    }

    [Fact]
    public void AuditMode_BlocksNothingAndReportsEachAccess()
    {
        var r = Run("cat /data/secret; /opt/tests/pwned; echo exec=$?; echo x >> /data/keys/id; echo write=$?",
            Policy("audit", "[/data/secret, /opt/tests/pwned, /data/keys/**]"));

        Assert.Contains(Secret, r.Stdout);
        Assert.Contains("exec=42", r.Stdout);   // pwned ran (it exits 42)
        Assert.Contains("write=0", r.Stdout);
        var events = r.Events("fileBlock", "detected").ToList();
        Assert.Equal(3, events.Count);
        Assert.Contains(events, e => e.GetProperty("requestedPath").GetString() == "/data/secret");
        Assert.Contains(events, e => e.GetProperty("path").GetString() == "/opt/tests/pwned");
        Assert.Contains(events, e => e.GetProperty("requestedPath").GetString() == "/data/keys/id" && e.GetProperty("reason").GetString()!.StartsWith("write|create of", StringComparison.Ordinal));
    }

    [Fact]
    public void WithoutLandlock_EnforceModeRefusesToStart_AndFallbackAuditRunsInAuditMode()
    {
        string wrapper = NoLandlock.Wrapper();
        var refused = Container.RunRaw(["/.microenforcer/microenforcer", "run", "--policy", Container.PolicyPathInContainer, "--", "/opt/tests/hello"],
            Policy("enforce"), pid1Wrapper: wrapper, prepareLayer: AddData);
        output.WriteLine(refused.ToString());
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("fileBlock needs Landlock ABI 3 (Linux 6.2) to enforce, and this kernel has no Landlock", refused.Stderr);
        Assert.DoesNotContain("workload started", refused.Stderr);

        var fallback = Container.RunRaw(["/.microenforcer/microenforcer", "run", "--policy", Container.PolicyPathInContainer, "--", "/bin/cat", "/data/secret"],
            Policy("enforce").Replace("mode: enforce", "mode: enforce\n    fallback: audit", StringComparison.Ordinal), pid1Wrapper: wrapper, prepareLayer: AddData);
        output.WriteLine(fallback.ToString());
        Assert.Equal(0, fallback.ExitCode);
        Assert.Contains(Secret, fallback.Stdout);
        Assert.Contains("fileBlock: fileBlock needs Landlock ABI 3", fallback.Stderr);
        Assert.Contains("runs in audit mode", fallback.Stderr);
    }

    [Fact]
    public void ABadPolicyIsRefusedWithItsLinesBeforeAnythingStarts()
    {
        const string Bad = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              fileBlock:
                enabled: true
                files: [etc/shadow, "", {path: /x, block: [delete]}]
              readOnly: {enabled: true, paths: [/etc/../usr]}
            """;
        var r = Container.Run(["/bin/sh", "-c", "echo workload-ran"], Bad, prepareLayer: AddData);
        output.WriteLine(r.ToString());

        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("workload-ran", r.Stdout);
        Assert.Contains("policy.yaml:6:13: spec.fileBlock.files[0]: 'etc/shadow' is a relative path", r.Stderr);
        Assert.Contains("policy.yaml:6:25: spec.fileBlock.files[1]: the path is empty", r.Stderr);
        Assert.Contains("spec.fileBlock.files[2].block[0]: unknown access 'delete'", r.Stderr);
        Assert.Contains("policy.yaml:7:37: spec.readOnly.paths[0]: '/etc/../usr' has a '..' segment", r.Stderr);
        Assert.Contains("nothing was started", r.Stderr);
    }

    [Fact]
    public void OpenByHandle_IsRefusedToo()
    {
        // Overlayfs (the image) gives no file handles: the file is put on the container's /dev/shm
        // (a tmpfs, which does) before PID 1 starts, by a host script PID 1 is exec'd through.
        string dir = Directory.CreateTempSubdirectory("microenforcer-shm-").FullName;
        string wrapper = Path.Combine(dir, "put-secret");
        File.WriteAllText(wrapper, "#!/bin/sh\necho TOPSECRET shm > \"$ME_MERGED/dev/shm/secret\"\nexec \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);
        string[] command = ["/.microenforcer/microenforcer", "run", "--policy", Container.PolicyPathInContainer, "--", "/opt/tests/file_attack", "handle", "/dev/shm/secret"];

        var native = Container.RunRaw(command, Policy("enforce", "[/data/nothing]"), pid1Wrapper: wrapper);
        output.WriteLine(native.ToString());
        Assert.Contains($"handle: ok {Secret} shm", native.Stdout);

        var r = Container.RunRaw(command, Policy("enforce", "[/dev/shm/secret]"), pid1Wrapper: wrapper);
        output.WriteLine(r.ToString());
        Assert.Contains("handle: errno 13", r.Stdout);
        Assert.DoesNotContain(Secret, r.Stdout);
    }
}
