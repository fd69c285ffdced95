using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// The other entry points of an x86-64 kernel: i386 (int 0x80) and x32. Without the enforcer the
/// i386 route runs the payload, which is what a filter that only knew x86-64 numbers would allow.
/// </summary>
public sealed class CompatSyscallTests
{
    private static string Script(string abi) => $"cp /opt/tests/pwned /tmp/p; /opt/tests/exec_compat {abi} /tmp/p; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true";

    [Fact]
    public void I386ExecveThroughInt80IsBlocked()
    {
        var r = Container.Run(["/bin/sh", "-c", Script("i386")]);

        Assert.Contains("exec_compat: errno 13", r.Stdout);
        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        var e = Assert.Single(r.Events("drift", "blocked"));
        Assert.Equal("/tmp/p", e.GetProperty("path").GetString());
    }

    [Fact]
    public void I386ExecveRunsThePayloadWithoutTheEnforcer()
    {
        var r = Container.RunRaw(["/bin/sh", "-c", Script("i386")]);

        Assert.Contains("PAYLOAD-RAN", r.Stdout);
    }

    [Fact]
    public void X32ExecveDoesNotRunThePayload()
    {
        // x32 is compiled out of most kernels (ENOSYS); where it exists the filter notifies it.
        var r = Container.Run(["/bin/sh", "-c", Script("x32")]);

        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.True(r.Stdout.Contains("errno 38", StringComparison.Ordinal) || r.Stdout.Contains("errno 13", StringComparison.Ordinal), r.ToString());
    }

    [Fact]
    public void I386ImageBinaryRunsAndItsDriftedCopyDoesNot()
    {
        // The exec stop finds the ELF interpreter through the auxiliary vector, whose word size
        // it reads from the vector itself: a 32-bit one must be read as such, or the image's own
        // i386 binary would be killed as unreadable.
        var r = Container.Run(["/bin/sh", "-c", "/opt/tests/exit32; echo \"image rc=$?\"; cp /opt/tests/exit32 /tmp/e32; /tmp/e32; echo \"copy rc=$?\""]);

        Assert.Contains("image rc=7", r.Stdout);
        Assert.Contains("copy rc=126", r.Stdout);
        var e = Assert.Single(r.Events("drift", "blocked"));
        Assert.Equal("/tmp/e32", e.GetProperty("path").GetString());
    }
}
