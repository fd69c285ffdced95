using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// Drifted code through the dynamic loader (issue 12, item 4): an image binary runs, and glibc's
/// ld.so maps and runs a library dropped at run time (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH,
/// /etc/ld.so.preload), or the image's ld.so, run directly, runs a drifted program named in its
/// argv. The image is glibc's (ImageRootfs.WithBash); the payloads are copied out of the image's
/// data files into /tmp by the workload, which makes them drift. Every attack also runs without
/// the enforcer, to show that it runs its payload there.
/// </summary>
public sealed class LoaderTests(ITestOutputHelper output)
{
    private const string Ld = "/lib64/ld-linux-x86-64.so.2";
    private const string Drop = "cp /opt/tests/evil.so.data /tmp/evil.so; ";
    private const string Tail = "; echo \"rc=$?\"; test -e /tmp/PWNED && echo PAYLOAD-RAN; true";

    public static TheoryData<string, string, string> Attacks => new()
    {
        // name, shell command, what the reason must name
        { "preload", Drop + "LD_PRELOAD=/tmp/evil.so /opt/tests/hello_dyn", "LD_PRELOAD" },
        { "preload-relative", Drop + "cd /tmp && LD_PRELOAD=./evil.so /opt/tests/hello_dyn", "LD_PRELOAD" },
        { "preload-list", Drop + "LD_PRELOAD='/opt/tests/lib/libgreet.so /tmp/evil.so' /opt/tests/hello_dyn", "LD_PRELOAD" },
        { "preload-fd", Drop + "LD_PRELOAD=/proc/self/fd/7 /opt/tests/hello_dyn 7</tmp/evil.so", "LD_PRELOAD" },
        { "audit", Drop + "LD_AUDIT=/tmp/evil.so /opt/tests/hello_dyn", "LD_AUDIT" },
        { "library-path", "cp /opt/tests/evil.so.data /tmp/libgreet.so; LD_LIBRARY_PATH=/tmp /opt/tests/greet", "LD_LIBRARY_PATH" },
        { "preload-by-name", "cp /opt/tests/evil.so.data /tmp/libevil.so; LD_LIBRARY_PATH=/tmp LD_PRELOAD=libevil.so /opt/tests/hello_dyn", "LD_LIBRARY_PATH" },
        { "ld.so.preload", Drop + "echo /tmp/evil.so > /etc/ld.so.preload; /opt/tests/hello_dyn", "/etc/ld.so.preload" },
        { "direct-loader", "cp /opt/tests/pwned_dyn.data /tmp/evil; " + Ld + " /tmp/evil", "run directly" },
        { "direct-loader-image-data", Ld + " /opt/tests/pwned_dyn.data", "run directly" },
        { "direct-loader-options", "cp /opt/tests/pwned_dyn.data /tmp/evil; " + Ld + " --inhibit-cache --argv0 x /tmp/evil", "run directly" },
        { "direct-loader-preload", Drop + Ld + " --preload /tmp/evil.so /opt/tests/hello_dyn", "--preload" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void DroppedCodeThroughTheLoaderIsKilled(string name, string command, string reasonNames)
    {
        var r = Container.Run(["/bin/sh", "-c", command + Tail], image: ImageRootfs.WithBash);
        output.WriteLine(name + "\n" + r);

        Assert.DoesNotContain("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("rc=137", r.Stdout);
        var e = Assert.Single(r.Events("drift", "killed"));
        Assert.Contains(reasonNames, e.GetProperty("reason").GetString());
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void WithoutTheEnforcerTheSameAttacksRunThePayload(string name, string command, string reasonNames)
    {
        _ = reasonNames;
        var r = Container.RunRaw(["/bin/sh", "-c", command + Tail], image: ImageRootfs.WithBash);
        output.WriteLine(name + "\n" + r);

        Assert.Contains("PAYLOAD-RAN", r.Stdout);
    }

    [Fact]
    public void AuditModeLetsThePreloadRunAndReportsIt()
    {
        const string policy = """
            apiVersion: microenforcer.dev/v1
            kind: RuntimePolicy
            spec:
              mode: audit
            """;
        var r = Container.Run(["/bin/sh", "-c", Drop + "LD_PRELOAD=/tmp/evil.so /opt/tests/hello_dyn" + Tail], policy, image: ImageRootfs.WithBash);
        output.WriteLine(r.ToString());

        Assert.Contains("PAYLOAD-RAN", r.Stdout);
        Assert.Contains("rc=0", r.Stdout);
        var e = Assert.Single(r.Events("drift", "detected"));
        Assert.Contains("LD_PRELOAD", e.GetProperty("reason").GetString());
        Assert.Contains("/tmp/evil.so", e.GetProperty("reason").GetString());
        Assert.Empty(r.Events("drift", "killed"));
    }

    [Fact]
    public void TheImagesOwnLibrariesAndTheLoaderStillWork()
    {
        const string Script = """
            LD_PRELOAD=/opt/tests/lib/libgreet.so /opt/tests/hello_dyn; echo "preload=$?"
            LD_PRELOAD=libgreet.so LD_LIBRARY_PATH=/opt/tests/lib /opt/tests/hello_dyn; echo "preload-name=$?"
            LD_LIBRARY_PATH=/opt/tests/lib /opt/tests/greet; echo "library-path=$?"
            LD_LIBRARY_PATH=/usr/local/missing/lib:/opt/tests/lib:: /opt/tests/greet; echo "library-path-missing=$?"
            /opt/tests/greet; echo "runpath=$?"
            /lib64/ld-linux-x86-64.so.2 --list /opt/tests/hello_dyn; echo "list=$?"
            /lib64/ld-linux-x86-64.so.2 --verify /opt/tests/hello_dyn; echo "verify=$?"
            /lib64/ld-linux-x86-64.so.2 --help > /dev/null; echo "help=$?"
            ldd /opt/tests/greet; echo "ldd=$?"
            """;
        var r = Container.Run(["/bin/sh", "-c", Script], image: ImageRootfs.WithBash);
        output.WriteLine(r.ToString());

        Assert.Contains("greet from the image library", r.Stdout);
        Assert.Contains("libgreet.so => /opt/tests/lib/libgreet.so", r.Stdout);   // ldd
        foreach (string name in new[] { "preload", "preload-name", "library-path", "library-path-missing", "runpath", "list", "verify", "help", "ldd" })
            Assert.Contains($"{name}=0\n", r.Stdout);
        Assert.Empty(r.AuditEvents);
    }
}
