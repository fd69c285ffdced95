using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Controls;

/// <summary>
/// io_uring carries opens, connects and renames past seccomp: the workload cannot set up a ring
/// unless the policy allows it (spec.allowIoUring), whatever controls are on.
/// </summary>
public sealed class IoUringTests(ITestOutputHelper output)
{
    private const string NoControls = """
        apiVersion: microenforcer.dev/v1
        kind: RuntimePolicy
        spec:
          driftPrevention: { enabled: false }
          blockFilelessExec: { enabled: false }
          forkGuard: { enabled: false }
          reverseShell: { enabled: false }
        """;

    [Fact]
    public void WithoutTheEnforcerARingIsSetUp()
    {
        var r = Container.RunRaw(["/opt/tests/io_uring"]);
        output.WriteLine(r.ToString());

        Assert.Contains("io_uring_setup=OK", r.Stdout);
        Assert.Contains("io_uring_enter=OK", r.Stdout);
        Assert.DoesNotContain("ENOSYS", r.Stdout);
    }

    [Theory]
    [InlineData(null)]        // the default policy
    [InlineData(NoControls)]  // every control off: io_uring is still closed
    public void EveryIoUringCallAnswersEnosys(string? policy)
    {
        var r = Container.Run(["/opt/tests/io_uring"], policy);
        output.WriteLine(r.ToString());

        Assert.Contains("io_uring_setup=ENOSYS", r.Stdout);
        Assert.Contains("io_uring_enter=ENOSYS", r.Stdout);
        Assert.Contains("io_uring_register=ENOSYS", r.Stdout);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void ThePolicyCanAllowIoUring()
    {
        var r = Container.Run(["/opt/tests/io_uring"], NoControls + "\n  allowIoUring: true\n");
        output.WriteLine(r.ToString());

        Assert.Contains("io_uring_setup=OK", r.Stdout);
        Assert.Contains("io_uring_enter=OK", r.Stdout);
        Assert.DoesNotContain("ENOSYS", r.Stdout);
    }
}
