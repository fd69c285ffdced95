using MicroEnforcer.IntegrationTests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.IntegrationTests.Drift;

/// <summary>
/// Entrypoints change the metadata of image files as their first commands (chown -R app:app /app,
/// chmod +x, touch, hard links). A change that leaves the content intact must never make an image
/// executable drift, however early it comes: in particular before the baseline's background hashing
/// has reached the file. A change to the content always does, also when its mtime is put back.
/// </summary>
public sealed class MetadataChangeTests(ITestOutputHelper output, MetadataChangeTests.ScriptTree tree) : IClassFixture<MetadataChangeTests.ScriptTree>
{
    private const int Directories = 20, ScriptsPerDirectory = 500;   // 10,000 image executables

    // The baseline thread lives until the walk and the hashing are done.
    private const string StillHashing = "cat /proc/1/task/*/comm | grep -q '^baseline' && echo STILL-HASHING";

    /// <summary>
    /// How many image executables the baseline recorded or hashed with only their metadata changed
    /// first, from PID 1's log: more than none proves the changes raced the walk or the hashing.
    /// </summary>
    private static int ChangedBeforeHashed(RunResult r) =>
        System.Text.RegularExpressions.Regex.Matches(r.Stderr, @"(\d+) with only their metadata changed")
            .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// An image layer with 10,000 distinct shell scripts, every one with the same mtime (so that
    /// `touch -r` of one by another puts an mtime back exactly, as an intruder would).
    /// </summary>
    public sealed class ScriptTree : IDisposable
    {
        public static readonly DateTime ImageTime = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

        public ScriptTree()
        {
            Layer = Directory.CreateTempSubdirectory("microenforcer-tree-").FullName;
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0x1ed };
            string padding = "# " + new string('.', 4000) + "\n";   // 40 MB to hash: the hashing takes a while
            for (int d = 0; d < Directories; d++)
            {
                string dir = Path.Combine(Layer, "opt/tree", $"d{d}");
                Directory.CreateDirectory(dir);
                for (int f = 0; f < ScriptsPerDirectory; f++)
                {
                    string file = Path.Combine(dir, $"s{f}");
                    using (var writer = new StreamWriter(new FileStream(file, options)))
                        writer.Write($"#!/bin/sh\necho tree-ok-{d}-{f}\n{padding}");
                    File.SetLastWriteTimeUtc(file, ImageTime);
                }
            }
            Image = ImageRootfs.WithLayer(Layer);
        }

        public string Layer { get; }

        internal ImageRootfs Image { get; }

        public void Dispose() => Directory.Delete(Layer, recursive: true);
    }

    // A sample across the tree, run by path (the kernel runs the shebang).
    private static string RunSample(string label) =>
        "for d in 0 7 13 19; do for f in 0 1 250 499; do /opt/tree/d$d/s$f || echo \"" + label + "-refused-$d-$f\"; done; done";

    [Fact]
    public void ChmodOfBusyboxAsTheFirstCommandDoesNotMakeItDrift()
    {
        // The report: chmod 755 /bin/busybox; /bin/echo hi refused with "changed since the image
        // baseline before its image content was hashed".
        var r = Container.Run(["/bin/sh", "-c", "chmod 755 /bin/busybox; /bin/echo hi; /bin/true && echo again"]);
        output.WriteLine(r.ToString());

        Assert.Contains("hi\n", r.Stdout);
        Assert.Contains("again", r.Stdout);
        Assert.Empty(r.Events("drift", "blocked"));
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void EveryKindOfMetadataChangeKeepsAnImageExecutableRunnable()
    {
        // As the first commands, each followed by an exec of what it touched: chmod, chown, touch
        // (now), touch -r (explicit times). Then, once the walk has passed (a name added, removed
        // or renamed in a directory before the walk reaches it makes its changed executables
        // drift: the walk cannot tell a rename from a chmod there), a hard link (both names) and
        // a rename away and back, each in a directory of its own.
        var r = Container.Run(["/bin/sh", "-c",
            "chmod 700 /opt/tree/d1/s1; /opt/tree/d1/s1; " +
            "chown 65534:65534 /opt/tree/d1/s2; /opt/tree/d1/s2; " +
            "touch /opt/tree/d1/s3; /opt/tree/d1/s3; " +
            "touch -r /opt/tree/d2/s0 /opt/tree/d1/s4; /opt/tree/d1/s4; " +
            "chmod 755 /opt/tests/hello; /opt/tests/hello; " +
            "sleep 0.2; " +
            "ln /opt/tree/d5/s5 /opt/tree/d5/s5-link; /opt/tree/d5/s5; " +
            "mv /opt/tree/d6/s6 /opt/tree/d6/s6-away; mv /opt/tree/d6/s6-away /opt/tree/d6/s6; /opt/tree/d6/s6; " +
            "/opt/tree/d5/s5-link; echo \"link=$?\"; " +
            "echo finished"], image: tree.Image);
        output.WriteLine(r.ToString());

        foreach (string ran in new[] { "1-1", "1-2", "1-3", "1-4", "5-5", "6-6" })
            Assert.Contains($"tree-ok-{ran}\n", r.Stdout);
        Assert.Contains("hello from the image", r.Stdout);
        Assert.Contains("link=126", r.Stdout);   // a new name is not an image path
        Assert.Contains("finished", r.Stdout);
        Assert.Equal(["/opt/tree/d5/s5-link"], r.Events("drift", "blocked").Select(e => e.GetProperty("path").GetString()));
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void ARenameBeforeTheWalkIsNotTakenForAChmod()
    {
        // Renamed into the name of another image script, before the walk reaches the directory:
        // image content, but not the image's executable at that name.
        var r = Container.Run(["/bin/sh", "-c",
            "mv /opt/tree/d8/s1 /opt/tree/d8/s2; /opt/tree/d8/s2; echo \"renamed=$?\"; /opt/tree/d8/s3; echo finished"], image: tree.Image);
        output.WriteLine(r.ToString());

        Assert.Contains("renamed=126", r.Stdout);
        Assert.DoesNotContain("tree-ok-8-1", r.Stdout);
        Assert.Contains("tree-ok-8-3", r.Stdout);
        Assert.Equal(["/opt/tree/d8/s2"], r.Events("drift", "blocked").Select(e => e.GetProperty("path").GetString()));
    }

    [Fact]
    public void ChownAndChmodOfTenThousandImageExecutablesAtStartKeepThemRunnable()
    {
        var r = Container.Run(["/bin/sh", "-c",
            "chown -R 65534:65534 /opt/tree; chmod -R 750 /opt/tree; " + RunSample("after-chmod") + "; echo finished"],
            image: tree.Image, timeout: TimeSpan.FromMinutes(2));
        output.WriteLine(r.ToString());

        Assert.True(ChangedBeforeHashed(r) > 0, $"chown -R reached no file before the baseline hashed it: the test proves nothing\n{r}");
        Assert.DoesNotContain("refused", r.Stdout);
        Assert.Equal(16, r.Stdout.Split('\n').Count(line => line.StartsWith("tree-ok-", StringComparison.Ordinal)));
        Assert.Contains("finished", r.Stdout);
        Assert.Empty(r.Events("drift", "blocked"));
    }

    [Fact]
    public void AContentRewriteAtTheSameMomentIsRefusedEvenWithItsMtimePutBack()
    {
        // The same chmod -R, and meanwhile three image scripts rewritten in place at the same size
        // (dd conv=notrunc, after the shebang): one left as it is, one with its mtime put back with touch -r (all the
        // scripts share one mtime), one chmod'ed after its rewrite.
        const string rewrite = "printf 'echo PWNED-%s;#' {0} | dd of=/opt/tree/d{0}/s9 bs=1 seek=10 conv=notrunc 2>/dev/null";
        var r = Container.Run(["/bin/sh", "-c",
            "chmod -R 750 /opt/tree & " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, rewrite, 3) + "; " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, rewrite, 4) + "; touch -r /opt/tree/d0/s0 /opt/tree/d4/s9; " +
            string.Format(System.Globalization.CultureInfo.InvariantCulture, rewrite, 5) + "; chmod 700 /opt/tree/d5/s9; " +
            StillHashing + "; wait; " +
            "for d in 3 4 5; do /opt/tree/d$d/s9; echo \"rewritten-$d=$?\"; done; " + RunSample("untouched") + "; echo finished"],
            image: tree.Image, timeout: TimeSpan.FromMinutes(2));
        output.WriteLine(r.ToString());

        Assert.DoesNotContain("PWNED", r.Stdout);
        Assert.Contains("rewritten-3=126", r.Stdout);
        Assert.Contains("rewritten-4=126", r.Stdout);
        Assert.Contains("rewritten-5=126", r.Stdout);
        Assert.DoesNotContain("untouched-refused", r.Stdout);
        Assert.Contains("finished", r.Stdout);
        Assert.Equal(["/opt/tree/d3/s9", "/opt/tree/d4/s9", "/opt/tree/d5/s9"],
            r.Events("drift", "blocked").Select(e => e.GetProperty("path").GetString()));
    }

    [Fact]
    public void AnExecSessionDuringTheHashingWithdrawsTheMtimesWord()
    {
        // A process that enters from outside runs unfiltered until PID 1 captures it: it could set
        // an mtime back unseen. Whatever the mtimes would vouch for is drift from then on (the
        // workload chmods one script at once, long before the walk or the hashing reach it); what
        // a ctime proves untouched, or a hash taken before the change, still runs.
        using var container = RunningContainer.Start(["/bin/sh", "-c",
            "chmod 750 /opt/tree/d19/s499; sleep 3; /opt/tree/d19/s499; echo \"chmodded=$?\"; /opt/tree/d7/s0; echo finished; exec sleep 60"],
            image: tree.Image);
        // At once (entering takes longer than the workload's chmod), and for long enough for the
        // watcher (every 5 ms) to see it.
        container.Enter("/bin/sleep", "0.2");
        container.WaitForLog("content of ");
        Assert.True(container.Stderr.Contains("entered the container outside the filter before the image was hashed", StringComparison.Ordinal),
            $"the hashing was over before the session came: the test proves nothing\n{container.Stderr}");
        container.WaitForLog("\"path\":\"/opt/tree/d19/s499\"");
        Thread.Sleep(500);
        RunResult r = container.Stop();
        output.WriteLine(r.ToString());

        Assert.Contains("chmodded=126", r.Stdout);
        Assert.Contains("tree-ok-7-0", r.Stdout);
        Assert.Contains("finished", r.Stdout);
        Assert.DoesNotContain("tree-ok-19-499", r.Stdout);
        var blocked = r.Events("drift", "blocked").Single();
        Assert.Equal("/opt/tree/d19/s499", blocked.GetProperty("path").GetString());
        string reason = blocked.GetProperty("reason").GetString()!;
        Assert.True(reason == "created or modified after the workload started, before the image baseline recorded it"
            || reason.Contains("the mtime cannot vouch for it: a process entered the container from outside the filter", StringComparison.Ordinal), reason);
    }

    [Fact]
    public void WithoutTheEnforcerTheRewrittenScriptRuns()
    {
        var r = Container.RunRaw(["/bin/sh", "-c",
            "printf 'echo PWNED-%s;#' 4 | dd of=/opt/tree/d4/s9 bs=1 seek=10 conv=notrunc 2>/dev/null; touch -r /opt/tree/d0/s0 /opt/tree/d4/s9; /opt/tree/d4/s9"],
            image: tree.Image);

        Assert.Contains("PWNED-4", r.Stdout);
    }
}
