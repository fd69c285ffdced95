using MicroEnforcer.Interop;
using MicroEnforcer.Baseline;
using Xunit;

namespace MicroEnforcer.Tests.Baseline;

/// <summary>The compact baseline store: lookups by exact path bytes, and hashes published per entry.</summary>
public sealed class ImageBaselineTests
{
    private static FileSignature Signature(ulong inode) => new(8, 1, inode, 100 + inode, 1_700_000_000, 0, 1_700_000_000, 0, 0x81ed, 1);

    private static ImageBaseline Build(params string[] paths)
    {
        var builder = new ImageBaseline.Builder();
        for (int i = 0; i < paths.Length; i++)
            builder.Add(paths[i], Signature((ulong)i + 1));
        return builder.Build(filesScanned: paths.Length);
    }

    [Fact]
    public void FindsEveryEntryByItsExactPathAndNothingElse()
    {
        string[] paths = [.. Enumerable.Range(0, 5000).Select(i => $"/usr/lib/d{i % 37}/f{i}")];
        ImageBaseline baseline = Build(paths);

        Assert.Equal(paths.Length, baseline.ExecutableCount);
        for (int i = 0; i < paths.Length; i++)
        {
            BaselineEntry entry = Assert.NotNull(baseline.Find(paths[i]));
            Assert.Equal(paths[i], entry.Path);
            Assert.Equal((ulong)i + 1, entry.Signature.Inode);
        }
        Assert.Null(baseline.Find("/usr/lib/d0/f"));        // a prefix of an entry
        Assert.Null(baseline.Find("/usr/lib/d0/f00"));
        Assert.Null(baseline.Find("/usr/lib/d0/f0/"));
        Assert.Null(baseline.Find(""));
    }

    [Fact]
    public void PathsThatAreNotUtf8AreKeptByteForByte()
    {
        string invalid = PathText.Decode([(byte)'/', (byte)'b', 0xff, 0xc3]);
        string lookalike = PathText.Decode([(byte)'/', (byte)'b', 0xef, 0xbf, 0xbd]);   // U+FFFD, validly encoded
        ImageBaseline baseline = Build(invalid, "/bin/ls");

        Assert.Equal(invalid, Assert.NotNull(baseline.Find(invalid)).Path);
        Assert.Null(baseline.Find(lookalike));
    }

    [Fact]
    public void AHashIsSeenOnceSetAndAReasonOnceUnavailable()
    {
        ImageBaseline baseline = Build("/bin/a", "/bin/b");
        BaselineEntry a = baseline.Find("/bin/a")!.Value, b = baseline.Find("/bin/b")!.Value;
        Assert.Null(a.Hash);
        Assert.Null(a.HashUnavailableReason);

        var hash = new ContentHash(1, 2, 3, 4);
        a.SetHash(hash);
        b.SetHashUnavailable("changed before it was hashed");

        Assert.Equal(hash, baseline.Find("/bin/a")!.Value.Hash);
        Assert.Null(baseline.Find("/bin/a")!.Value.HashUnavailableReason);
        Assert.Null(baseline.Find("/bin/b")!.Value.Hash);
        Assert.Equal("changed before it was hashed", baseline.Find("/bin/b")!.Value.HashUnavailableReason);
        Assert.Equal(2, baseline.Entries.Count());
    }

    [Fact]
    public void TheWalkersPartsMakeOneStore()
    {
        var parts = new[] { new ImageBaseline.Builder(), new ImageBaseline.Builder(), new ImageBaseline.Builder() };
        for (int i = 0; i < 3000; i++)
            parts[i % 2 == 0 ? 0 : 2].Add($"/opt/p{i}", Signature((ulong)i + 1));   // the middle part stays empty

        ImageBaseline baseline = ImageBaseline.Builder.Build(parts, filesScanned: 3500);

        Assert.Equal(3000, baseline.ExecutableCount);
        Assert.Equal(3500, baseline.FilesScanned);
        for (int i = 0; i < 3000; i++)
            Assert.Equal((ulong)i + 1, Assert.NotNull(baseline.Find($"/opt/p{i}")).Signature.Inode);
    }

    [Fact]
    public void AnEmptyBaselineFindsNothing()
    {
        Assert.Null(Build().Find("/bin/sh"));
    }

    [Fact]
    public void ExecutablesFoundChangedAreRecordedAsSuchAndSurviveTheMerge()
    {
        var first = new ImageBaseline.Builder();
        var second = new ImageBaseline.Builder();
        first.Add("/bin/a", Signature(1));
        first.AddChanged("/bin/b");
        second.AddChanged("/usr/bin/c");
        second.Add("/usr/bin/d", Signature(4));

        ImageBaseline baseline = ImageBaseline.Builder.Build([first, second], filesScanned: 4);

        Assert.Equal(4, baseline.ExecutableCount);
        Assert.Equal(2, baseline.ChangedCount);
        Assert.False(baseline.Find("/bin/a")!.Value.ChangedBeforeRecorded);
        Assert.True(baseline.Find("/bin/b")!.Value.ChangedBeforeRecorded);
        Assert.True(baseline.Find("/usr/bin/c")!.Value.ChangedBeforeRecorded);
        Assert.False(baseline.Find("/usr/bin/d")!.Value.ChangedBeforeRecorded);
        Assert.Null(baseline.Find("/bin/b")!.Value.Hash);
    }

    [Fact]
    public void TruncateForgetsTheLaterEntriesAndTheirChangedMarks()
    {
        var builder = new ImageBaseline.Builder();
        builder.Add("/bin/a", Signature(1));
        builder.AddChanged("/bin/b");
        int kept = builder.Count;
        builder.Add("/bin/c", Signature(3));
        builder.AddChanged("/bin/d");

        builder.Truncate(kept);
        builder.Add("/bin/e", Signature(5));
        ImageBaseline baseline = builder.Build(filesScanned: 5);

        Assert.Equal(3, baseline.ExecutableCount);
        Assert.Equal(1, baseline.ChangedCount);
        Assert.Null(baseline.Find("/bin/c"));
        Assert.Null(baseline.Find("/bin/d"));
        Assert.Equal("/bin/e", baseline.Find("/bin/e")!.Value.Path);
        Assert.False(baseline.Find("/bin/e")!.Value.ChangedBeforeRecorded);
        Assert.True(baseline.Find("/bin/b")!.Value.ChangedBeforeRecorded);
    }
}
