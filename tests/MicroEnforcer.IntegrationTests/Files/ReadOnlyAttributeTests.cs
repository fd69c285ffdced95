using System.Text.Json;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Files;

/// <summary>
/// Read-Only Directories and Files, the attribute changes (TestPrograms/attr_attack.c): chmod,
/// chown, setxattr and removexattr on a read-only path fail with EROFS and an audit event, through
/// every entry point and every way of naming the file; on a writable path each answers exactly
/// what it answers without the enforcer, permission failures included; and the races that would
/// redirect a path checked once (each shown to work without the enforcer) never reach the
/// read-only file. Fixtures are laid in the container's own layer before PID 1 starts.
/// </summary>
public sealed class ReadOnlyAttributeTests(ITestOutputHelper output)
{
    private const string Policy = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          readOnly: { enabled: true, paths: [/srv/ro], exceptions: [/srv/ro/cache/**] }
        """;

    private const string AuditPolicy = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          readOnly: { enabled: true, mode: audit, paths: [/srv/ro] }
        """;

    private const string Untouched = "mode=644 uid=0 gid=0 user.t=-";

    // Errors the kernel gives before it looks the file up: the same with or without the enforcer.
    private static readonly string[] BeforeLookup = ["errno EINVAL", "errno E2BIG", "errno ERANGE", "errno EBADF"];

    [Fact]
    public void EveryEntryPointOnAReadOnlyPathFailsWithErofsAndIsReported()
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "ops", "/srv/ro/f"]);

        Assert.Contains("chmod /srv/ro/f: ok", native.Stdout);
        string[] expected = [.. Lines(native.Stdout).Select(line => line.StartsWith("final ", StringComparison.Ordinal)
            ? $"final /srv/ro/f {Untouched}"
            : BeforeLookup.Any(e => line.EndsWith(e, StringComparison.Ordinal)) ? line : line[..(line.IndexOf(": ", StringComparison.Ordinal) + 2)] + "errno EROFS")];
        Assert.Equal(expected, Lines(enforced.Stdout));

        var events = enforced.Events("readOnly", "blocked").ToList();
        Assert.Equal(expected.Count(line => line.EndsWith("EROFS", StringComparison.Ordinal)), events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("/srv/ro/f", e.GetProperty("requestedPath").GetString());
            Assert.Equal("/opt/tests/attr_attack", e.GetProperty("path").GetString());
            Assert.Contains("the path is read-only", e.GetProperty("reason").GetString(), StringComparison.Ordinal);
        });
        string[] syscalls = [.. events.Select(e => e.GetProperty("syscall").GetString()!).Distinct().Order()];
        Assert.Equal(["chmod", "chown", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchownat", "fremovexattr", "fsetxattr", "lchown",
            "lremovexattr", "lsetxattr", "removexattr", "removexattrat", "setxattr", "setxattrat"], syscalls);
    }

    [Theory]
    [InlineData("/srv/rw/f")]
    [InlineData("/srv/ro/cache/f")]
    public void OnAWritablePathEveryCallAnswersAsNatively(string path)
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "ops", path]);

        Assert.Contains($"final {path} mode=614 uid=5 gid=5 user.t=v2", native.Stdout);
        Assert.Equal(Lines(native.Stdout), Lines(enforced.Stdout));
        Assert.Empty(enforced.Events("readOnly", "blocked"));
    }

    [Fact]
    public void ProcFdAndDevFdLinksAreTheFileTheyPointAt()
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "procfd", "/srv/ro/f"]);

        Assert.DoesNotContain("errno", native.Stdout);
        Assert.Equal(
        [
            "chmod /proc/self/fd /srv/ro/f: errno EROFS", "chmod /proc/thread-self/fd /srv/ro/f: errno EROFS",
            "chmod /proc/PID/fd /srv/ro/f: errno EROFS", "chown /dev/fd /srv/ro/f: errno EROFS",
            "setxattr /proc/self/fd /srv/ro/f: errno EROFS", $"final /srv/ro/f {Untouched}",
        ], Lines(enforced.Stdout));
    }

    [Fact]
    public void RelativePathsDirfdsDotDotAndSymlinksResolveAsTheKernelDoes()
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "relative"]);

        // Every line the same as natively, except the changes that reach a read-only file.
        string[] readOnlyTargets =
        [
            "chmod ../ro/f from /srv/rw", "fchmodat dirfd ro/f", "fchmodat dirfd /srv/ro/f", "fchmodat dirfd ro/../ro/./f",
            "fchownat ro dirfd empty", "chmod /srv/rw/../ro/f", "chmod /../../srv/ro/f", "chmod /srv/ro/dir/", "chmod /tmp/abs",
            "chmod /tmp/rel", "chmod /tmp/dirlink/f", "fchownat follow /tmp/abs", "chmod /proc/self/root/srv/ro/f", "chmod /proc/self/cwd/../ro/f",
        ];
        string[] expected = [.. Lines(native.Stdout).Select(line =>
            readOnlyTargets.Any(t => line.StartsWith(t + ": ", StringComparison.Ordinal)) ? line[..(line.IndexOf(": ", StringComparison.Ordinal) + 2)] + "errno EROFS"
            : line.StartsWith("final /srv/ro/f ", StringComparison.Ordinal) ? $"final /srv/ro/f {Untouched}"
            : line.StartsWith("final /srv/ro/dir ", StringComparison.Ordinal) ? "final /srv/ro/dir mode=755 uid=0 gid=0 user.t=-"
            : line)];
        foreach (string target in readOnlyTargets)
            Assert.Contains(target + ": ok", native.Stdout);
        Assert.Equal(expected, Lines(enforced.Stdout));
        Assert.Equal(readOnlyTargets.Length, enforced.Events("readOnly", "blocked").Count());
    }

    [Fact]
    public void AChrootedCallerIsResolvedInItsOwnRoot()
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "chroot"]);

        Assert.Equal(
        [
            "chroot chmod /ro/f: ok", "chroot chmod ../ro/f: ok", "chroot chmod /../../ro/f: ok", "chroot chmod /rw/abs: ok", "chroot chmod /rw/f: ok",
            "final /ro/f mode=600 uid=0 gid=0 user.t=-", "final /rw/f mode=605 uid=0 gid=0 user.t=-",
        ], Lines(native.Stdout));
        Assert.Equal(
        [
            "chroot chmod /ro/f: errno EROFS", "chroot chmod ../ro/f: errno EROFS", "chroot chmod /../../ro/f: errno EROFS",
            "chroot chmod /rw/abs: errno EROFS", "chroot chmod /rw/f: ok",
            $"final /ro/f {Untouched}", "final /rw/f mode=605 uid=0 gid=0 user.t=-",
        ], Lines(enforced.Stdout));
        Assert.All(enforced.Events("readOnly", "blocked"), e => Assert.Equal("/srv/ro/f", e.GetProperty("requestedPath").GetString()));
    }

    [Theory]
    [InlineData("race_symlink")]
    [InlineData("race_dir")]
    [InlineData("race_buffer")]
    [InlineData("race_dup2")]
    public void ARaceNeverReachesTheReadOnlyFile(string attack)
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", attack, "20000"]);

        // Without the enforcer the attack reaches the file: it is a real attack.
        Assert.Contains($"{attack}: ok 20000", native.Stdout);
        Assert.DoesNotContain($"final /srv/ro/f {Untouched}", native.Stdout);
        // With it, both sides were hit (the race ran) and the read-only file never changed.
        var counts = Lines(enforced.Stdout)[0].Split(' ');
        Assert.Equal([$"{attack}:", "ok", counts[2], "erofs", counts[4], "other", "0"], counts);
        Assert.True(int.Parse(counts[2]) > 0 && int.Parse(counts[4]) > 0, enforced.Stdout);
        Assert.Contains($"final /srv/ro/f {Untouched}", enforced.Stdout);
    }

    [Fact]
    public void TheI386EntryPointsAreGuardedAndTheir16BitIdsKept()
    {
        var (nativeRo, enforcedRo) = Both(["/opt/tests/attr_attack", "i386", "ro"]);
        var (nativeRw, enforcedRw) = Both(["/opt/tests/attr_attack", "i386", "rw"]);

        Assert.DoesNotContain("errno", nativeRo.Stdout);
        Assert.Equal([.. Lines(nativeRo.Stdout).SkipLast(1).Select(line => line[..(line.IndexOf(": ", StringComparison.Ordinal) + 2)] + "errno EROFS"),
            $"final /srv/ro/f {Untouched}"], Lines(enforcedRo.Stdout));
        Assert.Contains("final /srv/rw/f mode=602 uid=24 gid=25 user.t=-", nativeRw.Stdout);
        Assert.Equal(Lines(nativeRw.Stdout), Lines(enforcedRw.Stdout));
    }

    [Fact]
    public void AUserGetsTheKernelsOwnPermissionAnswers()
    {
        var (native, enforced) = Both(["/opt/tests/attr_attack", "user"]);

        Assert.Contains("user chmod /srv/rw/f (root's): errno EPERM", native.Stdout);
        Assert.Contains("user chown /srv/rw/own to 0: errno EPERM", native.Stdout);
        Assert.Contains("user setxattr /srv/rw/f (root's): errno EACCES", native.Stdout);
        Assert.Contains("user chmod /srv/rw/locked/mine: errno EACCES", native.Stdout);
        Assert.Contains("user chmod /srv/ro/own: ok", native.Stdout);
        // chown of one's own file to a group one is not in: EPERM; chmod 02750 of it keeps the setgid bit only for a member.
        Assert.Equal([.. Lines(native.Stdout).Select(line => line switch
        {
            "user chmod /srv/ro/own: ok" => "user chmod /srv/ro/own: errno EROFS",
            _ when line.StartsWith("final /srv/ro/own ", StringComparison.Ordinal) => "final /srv/ro/own mode=644 uid=1000 gid=1000 user.t=-",
            _ => line,
        })], Lines(enforced.Stdout));
    }

    [Fact]
    public void InAuditModeTheChangeIsReportedAndHappens()
    {
        string[] command = ["/opt/tests/attr_attack", "ops", "/srv/ro/f"];
        var native = Container.RunRaw(command, prepareLayer: Fixtures);
        var audited = Container.Run(command, AuditPolicy, prepareLayer: Fixtures);
        output.WriteLine(audited.ToString());

        Assert.Equal(Lines(native.Stdout), Lines(audited.Stdout));
        var events = audited.Events("readOnly", "detected").ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("audit", e.GetProperty("mode").GetString()));
        Assert.Empty(audited.Events("readOnly", "blocked"));
    }

    private (RunResult Native, RunResult Enforced) Both(string[] command)
    {
        var native = Container.RunRaw(command, prepareLayer: Fixtures);
        var enforced = Container.Run(command, Policy, prepareLayer: Fixtures);
        output.WriteLine("--- native\n" + native);
        output.WriteLine("--- enforced\n" + enforced);
        Assert.Equal(0, native.ExitCode);
        Assert.Equal(0, enforced.ExitCode);
        return (native, enforced);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    // /srv/ro and /srv/rw, each with f (root's, 0644) and own (1000's); /srv/ro/dir, and
    // /srv/ro/cache/f (the exception); /srv/rw/locked (0700 root) holding 1000's file mine.
    private static void Fixtures(string upper)
    {
        foreach (string dir in new[] { "srv/ro/dir", "srv/ro/cache", "srv/rw/locked" })
            Directory.CreateDirectory(Path.Combine(upper, dir));
        foreach (string file in new[] { "srv/ro/f", "srv/ro/own", "srv/ro/cache/f", "srv/rw/f", "srv/rw/own", "srv/rw/locked/mine" })
        {
            string path = Path.Combine(upper, file);
            File.WriteAllText(path, "content\n");
            File.SetUnixFileMode(path, (UnixFileMode)0x1a4);   // 0644
        }
        foreach (string dir in new[] { "srv", "srv/ro", "srv/ro/dir", "srv/ro/cache", "srv/rw" })
            File.SetUnixFileMode(Path.Combine(upper, dir), (UnixFileMode)0x1ed);   // 0755
        File.SetUnixFileMode(Path.Combine(upper, "srv/rw/locked"), (UnixFileMode)0x1c0);   // 0700
        ProcessRunner.Check("chown", "1000:1000", Path.Combine(upper, "srv/ro/own"), Path.Combine(upper, "srv/rw/own"), Path.Combine(upper, "srv/rw/locked/mine"));
    }
}
