using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// Attacks on the entry check's path resolution, from the security review: magic links that
/// mean the caller's fds (resolved in PID 1's context they meant PID 1's), and names that are
/// not UTF-8. Scripts matter here: at the exec event /proc/PID/exe shows the interpreter, and
/// the script is judged from the interpreter's argv (ScriptExecTests has the races).
/// </summary>
public sealed class ResolutionAttackTests
{
    private const string Script = "printf '#!/bin/sh\\necho DRIFTED-SCRIPT-RAN\\n' > /tmp/x.sh; chmod +x /tmp/x.sh; ";

    [Theory]
    [InlineData("/dev/fd/5")]
    [InlineData("/dev/fd/10")]
    [InlineData("/proc/self/fd/5")]
    [InlineData("/proc/./self/fd/5")]
    [InlineData("/proc/thread-self/fd/5")]
    public void DriftedScriptThroughTheCallersFdIsBlocked(string route)
    {
        string fd = route[(route.LastIndexOf('/') + 1)..];
        var r = Container.Run(["/bin/sh", "-c", Script + $"( exec {fd}</tmp/x.sh; {route}; echo \"rc=$?\" )"]);

        Assert.DoesNotContain("DRIFTED-SCRIPT-RAN", r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        Assert.NotEmpty(r.Events("drift", "blocked"));
    }

    [Fact]
    public void FilelessScriptThroughDevFdIsBlocked()
    {
        var r = Container.Run(["/opt/tests/memfd_script"]);

        Assert.DoesNotContain("FILELESS-SCRIPT-RAN", r.Stdout);
        Assert.Contains("execve /dev/fd/5: Permission denied", r.Stdout);
        Assert.Single(r.Events("fileless", "blocked"));
    }

    [Fact]
    public void WithoutTheEnforcerTheseRoutesRunTheScript()
    {
        var r = Container.RunRaw(["/bin/sh", "-c", Script + "( exec 5</tmp/x.sh; /dev/fd/5 ); /opt/tests/memfd_script"]);

        Assert.Contains("DRIFTED-SCRIPT-RAN", r.Stdout);
        Assert.Contains("FILELESS-SCRIPT-RAN", r.Stdout);
    }

    [Fact]
    public void NonUtf8NameIsNotConfusedWithItsReplacementCharacter()
    {
        // /tmp/\xff is a drifted script; /tmp/\xef\xbf\xbd (U+FFFD in UTF-8, what a lossy decoder
        // turns \xff into) is a symlink to an image binary.
        var r = Container.Run(["/bin/sh", "-c",
            Script + "cp /tmp/x.sh \"$(printf '/tmp/\\377')\"; ln -s /bin/busybox \"$(printf '/tmp/\\357\\277\\275')\"; " +
            "\"$(printf '/tmp/\\377')\"; echo \"rc=$?\""]);

        Assert.DoesNotContain("DRIFTED-SCRIPT-RAN", r.Stdout);
        Assert.Contains("rc=126", r.Stdout);
        var e = Assert.Single(r.Events("drift", "blocked"));
        Assert.Equal("/tmp/\\xff", e.GetProperty("path").GetString());
    }

    [Fact]
    public void NonUtf8NamedImageBinaryStillRuns()
    {
        // The copy is part of the image: made before the enforcer starts, and a coarse clock tick
        // (up to 10 ms) earlier, or the start mark could stamp it in the same tick (not earlier).
        var r = Container.RunRaw(["/bin/sh", "-c",
            "cp /opt/tests/hello \"$(printf '/opt/tests/h\\377')\" && sleep 0.05 && exec /.microenforcer/microenforcer run -- \"$(printf '/opt/tests/h\\377')\""]);

        Assert.True(r.Stdout.Contains("hello from the image", StringComparison.Ordinal), r.ToString());
        Assert.Empty(r.AuditEvents);
    }

    [Fact]
    public void ReplacedElfInterpreterIsKilledBeforeItRuns()
    {
        // Overwrite the image's ld.so, then run an untouched dynamically linked image binary:
        // the kernel maps the replaced interpreter, which would run first.
        var r = Container.Run(["/bin/sh", "-c",
            "cat /opt/tests/fakeld > /lib64/ld-linux-x86-64.so.2; /opt/tests/hello_dyn; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"],
            image: ImageRootfs.WithBash);

        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("rc=137", r.Stdout);
        var e = Assert.Single(r.Events("drift", "killed"));
        Assert.Contains("ELF interpreter /lib64/ld-linux-x86-64.so.2", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void RewrittenImageOfTheSameSizeAndMtimeHasItsInterpreterChecked()
    {
        // An allowed path runs a static program, which the tracer then knows to have no ELF
        // interpreter. The same file (same inode) is rewritten into a dynamically linked program
        // of the same size with its mtime set back, and ld.so replaced: only the ctime moved.
        // The sleep lets the first file's ctime age enough to be remembered (FileSignature.IsSettled).
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: enforce
              driftPrevention:
                enabled: true
                allowedExecutables: ["/tmp/app"]
            """;
        var r = Container.Run(["/bin/sh", "-c",
            "cp /opt/tests/hello /tmp/app; sleep 3; /tmp/app; echo \"first=$?\"; " +
            "cp /opt/tests/hello_dyn /tmp/dyn; truncate -s \"$(stat -c %s /tmp/app)\" /tmp/dyn; touch -r /tmp/app /tmp/ref; " +
            "cat /tmp/dyn > /tmp/app; touch -r /tmp/ref /tmp/app; cat /opt/tests/fakeld > /lib64/ld-linux-x86-64.so.2; " +
            "/tmp/app; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true"],
            policy, image: ImageRootfs.WithBash);

        Assert.Contains("first=0", r.Stdout);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("rc=137", r.Stdout);
        var e = Assert.Single(r.Events("drift", "killed"));
        Assert.Contains("ELF interpreter /lib64/ld-linux-x86-64.so.2", e.GetProperty("reason").GetString());
    }

    [Fact]
    public void DynamicImageBinaryWithItsOwnInterpreterRuns()
    {
        var r = Container.Run(["/opt/tests/hello_dyn"], image: ImageRootfs.WithBash);

        Assert.Contains("hello from the image", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }
}
