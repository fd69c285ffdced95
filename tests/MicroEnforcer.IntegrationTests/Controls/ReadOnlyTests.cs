using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// Read-Only against the ways to change a file or a directory (TestPrograms/file_attack.c): each
/// changes it with no file control (the control run), none does in enforce mode; the file's
/// content is checked after every attack. The exceptions and unlisted paths stay writable.
/// </summary>
public sealed class ReadOnlyTests(ITestOutputHelper output)
{
    private static void AddData(string upper)
    {
        Directory.CreateDirectory(Path.Combine(upper, "data/ro/sub"));
        Directory.CreateDirectory(Path.Combine(upper, "data/ro/cache"));
        Directory.CreateDirectory(Path.Combine(upper, "data/rw"));
        File.WriteAllText(Path.Combine(upper, "data/ro/file"), "original\n");
        File.WriteAllText(Path.Combine(upper, "data/ro/sub/deep"), "deep\n");
        File.WriteAllText(Path.Combine(upper, "data/rw/file"), "rw\n");
    }

    private const string Policy = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          readOnly:
            enabled: true
            paths: [/data/ro]
            exceptions: [/data/ro/cache]
        """;

    public static TheoryData<string, string> Attacks => new()
    {
        { "write", "/data/ro/file" }, { "truncate", "/data/ro/file" }, { "unlink", "/data/ro/file" }, { "rename_over", "/data/ro/file" },
        { "rename_away", "/data/ro/file" }, { "rename_dir_write", "/data/ro/file" }, { "write_i386", "/data/ro/file" },
        { "write_flip", "/data/ro/file" }, { "write", "/data/ro/sub/deep" }, { "rename_dir_write", "/data/ro/sub/deep" },
        { "create", "/data/ro" }, { "mkdir", "/data/ro" }, { "link_into", "/data/ro" }, { "create", "/data/ro/sub" },
    };

    private RunResult Attack(string attack, string target, string? policy)
    {
        // The decoy (and the file rename_over and link_into bring in) on the same file system: /data/rw.
        string script = $"/opt/tests/file_attack {attack} {target} /data/rw/file; cat /data/ro/file /data/ro/sub/deep; ls /data/ro /data/ro/sub";
        var r = Container.Run(["/bin/sh", "-c", script], policy, prepareLayer: AddData);
        output.WriteLine(r.ToString());
        return r;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheAttackChangesThePathWithoutTheControl(string attack, string target)
    {
        var r = Attack(attack, target, null);

        Assert.Matches($"{attack}: ok (written|changed)", r.Stdout);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void TheAttackChangesNothingInEnforceMode(string attack, string target)
    {
        var r = Attack(attack, target, Policy);

        Assert.Matches($"{attack}: (errno (13|18)|unchanged)", r.Stdout);
        if (attack == "write_flip")
            RaceRan.Assert(r.Stdout, attack);
        Assert.Contains("original\ndeep\n", r.Stdout);
        Assert.DoesNotContain("EVIL", r.Stdout);
        Assert.DoesNotContain("new", r.Stdout);
        Assert.DoesNotContain("linked", r.Stdout);
    }

    [Fact]
    public void ExceptionsAndUnlistedPathsStayWritable()
    {
        var r = Container.Run(["/bin/sh", "-c",
            "echo c > /data/ro/cache/c && mkdir /data/ro/cache/d && mv /data/ro/cache/c /data/ro/cache/d/c && cat /data/ro/cache/d/c; "
            + "echo more >> /data/rw/file && mv /data/rw/file /data/rw/moved && cat /data/rw/moved; echo t > /tmp/t && cat /tmp/t; cat /data/ro/file"],
            Policy, prepareLayer: AddData);
        output.WriteLine(r.ToString());

        Assert.Contains("c\nrw\nmore\nt\noriginal\n", r.Stdout);
    }

    [Fact]
    public void ReadingWithOCreat_IsNotAChange()
    {
        var r = Attack("read_creat", "/data/ro/file", Policy);

        Assert.Contains("read_creat: ok original", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Theory]
    [InlineData("mkdir_there", "/data/ro/sub", "errno 17")]   // EEXIST, as natively
    [InlineData("unlink_gone", "/data/ro/missing", "errno 2")]   // ENOENT, as natively
    public void ACallTheKernelFailsFirst_KeepsItsErrno(string attack, string target, string expected)
    {
        var native = Attack(attack, target, null);
        var r = Attack(attack, target, Policy);

        Assert.Contains($"{attack}: {expected}", native.Stdout);
        Assert.Contains($"{attack}: {expected}", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void ASingleReadOnlyFile_CannotBeReplaced()
    {
        string policy = Policy.Replace("paths: [/data/ro]", "paths: [/data/rw/file]", StringComparison.Ordinal).Replace("    exceptions: [/data/ro/cache]\n", "", StringComparison.Ordinal);
        var r = Container.Run(["/bin/sh", "-c",
            "/opt/tests/file_attack rename_over /data/rw/file /data/rw/x; /opt/tests/file_attack write /data/rw/file; cat /data/rw/file; echo ok >> /data/ro/file && echo other-writable"],
            policy, prepareLayer: upper =>
            {
                AddData(upper);
                File.WriteAllText(Path.Combine(upper, "data/rw/evil"), "EVIL\n");   // there before start: no new file can be made there
            });
        output.WriteLine(r.ToString());

        Assert.Matches("rename_over: errno (13|18)", r.Stdout);
        Assert.Contains("write: errno 13", r.Stdout);
        Assert.Contains("rw\n", r.Stdout);
        Assert.DoesNotContain("EVIL", r.Stdout.Replace("rename_over", "", StringComparison.Ordinal));
        Assert.Contains("other-writable", r.Stdout);
    }
}
