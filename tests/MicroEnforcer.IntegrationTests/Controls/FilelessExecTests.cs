using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>Fileless execution against the real kernel, under the default policy.</summary>
public sealed class FilelessExecTests
{
    private static string Attack(string route) =>
        $"/opt/tests/fileless {route} /opt/tests/pwned; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true";

    [Theory]
    [InlineData("execveat", "execveat")]
    [InlineData("fexecve", "execveat")]
    [InlineData("procfd", "execve")]
    [InlineData("tmpfile", "execve")]
    [InlineData("deleted", "execveat")]
    public void FilelessExecIsBlocked(string route, string syscall)
    {
        var r = Container.Run(["/bin/sh", "-c", Attack(route)]);

        Assert.Contains("rc=126", r.Stdout);
        Assert.Contains("fileless: Permission denied", r.Stderr);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        var e = Assert.Single(r.Events("fileless", "blocked"));
        Assert.Equal(syscall, e.GetProperty("syscall").GetString());
        Assert.Contains(route is "execveat" or "fexecve" or "procfd" ? "memfd" : "unlinked", e.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("execveat")]
    [InlineData("deleted")]
    public void WithoutTheEnforcerTheSameRoutesRunThePayload(string route)
    {
        var r = Container.RunRaw(["/bin/sh", "-c", Attack(route)]);

        Assert.Contains("PAYLOAD-RAN", r.Stdout);
    }

    [Fact]
    public void JitStyleExecutableMemfdMappingStillWorks()
    {
        // memfd_create + mmap(PROT_EXEC) + call: what the .NET and JVM JITs do. Not an exec.
        var r = Container.Run(["/opt/tests/fileless", "jit"]);

        Assert.Contains("jit returned 42", r.Stdout);
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void AuditModeLetsItRunAndReportsIt()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: enforce
              blockFilelessExec: { mode: audit }
              driftPrevention: { enabled: false }
            """;
        var r = Container.Run(["/bin/sh", "-c", Attack("execveat")], policy);

        Assert.Contains("PAYLOAD-RAN", r.Stdout);
        var e = Assert.Single(r.Events("fileless", "detected"));
        Assert.Equal("audit", e.GetProperty("mode").GetString());
    }

    [Fact]
    public void WithFilelessOffDriftPreventionStillBlocksAMemfd()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              blockFilelessExec: { enabled: false }
            """;
        var r = Container.Run(["/bin/sh", "-c", Attack("execveat")], policy);

        Assert.Contains("rc=126", r.Stdout);
        Assert.Empty(r.Events("fileless", "blocked"));
        Assert.Single(r.Events("drift", "blocked"));
    }

    [Fact]
    public void ReexecOfTheImageBinaryThroughProcSelfExeIsAllowed()
    {
        // /proc/self/exe of an image binary is the image binary: runtimes and sandboxes re-exec this way.
        var r = Container.Run(["/opt/tests/execat", "selfexe"]);

        Assert.Contains("reexec-ok", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }
}
