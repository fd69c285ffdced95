using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;
using Xunit;

namespace MicroEnforcer.Tests.Baseline;

/// <summary>
/// The content stamps against the real kernel: a change of metadata keeps a file's stamp, any
/// change of content breaks it, and once retired or revoked they vouch for nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ContentStampsTests : IDisposable
{
    private static readonly DateTime ImageTime = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly string _root = Directory.CreateTempSubdirectory("microenforcer-stamps-").FullName;
    private readonly StartMark _mark;

    public ContentStampsTests()
    {
        _mark = TakeMark(_root);
        if (_mark.MtimesCannotVouchReason is { } why)
            throw new InvalidOperationException($"these tests need a temporary directory where mtimes vouch: {why}");
    }

    public void Dispose()
    {
        _mark.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private string ImageFile(string name)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllText(path, "#!/bin/sh\necho image\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        File.SetLastWriteTimeUtc(path, ImageTime);   // as an image layer has it: long before the start
        return path;
    }

    private static FileSignature Stat(string path)
    {
        Assert.Equal(0, FileSignature.TryRead(path, out FileSignature signature));
        return signature;
    }

    private static StartMark TakeMark(string root) => StartMarkTests.Take(root);

    [Fact]
    public void MetadataChangesKeepTheStamp()
    {
        var stamps = new ContentStamps(_mark);
        string a = ImageFile("a"), b = ImageFile("b"), c = ImageFile("c");
        FileSignature recordedA = Stat(a), recordedB = Stat(b), recordedC = Stat(c);

        Thread.Sleep(20);   // past the coarse clock's tick: the changes get later ctimes
        File.SetUnixFileMode(a, (UnixFileMode)0x1c0);
        File.CreateSymbolicLink(Path.Combine(_root, "unrelated"), a);
        Assert.Equal(0, Link(b, Path.Combine(_root, "b-link")));
        File.Move(c, c + ".away");
        File.Move(c + ".away", c);

        foreach ((string path, FileSignature recorded) in new[] { (a, recordedA), (b, recordedB), (c, recordedC) })
        {
            FileSignature now = Stat(path);
            Assert.False(now.IsUntouchedSince(recorded), $"{path}: its ctime did not move, the test proves nothing");
            Assert.True(stamps.Vouch(recorded, now), path);
        }
    }

    [Fact]
    public void ContentChangesBreakTheStamp()
    {
        var stamps = new ContentStamps(_mark);
        string appended = ImageFile("appended"), samesize = ImageFile("samesize"), truncated = ImageFile("truncated");
        FileSignature recordedAppended = Stat(appended), recordedSameSize = Stat(samesize), recordedTruncated = Stat(truncated);

        File.AppendAllText(appended, "echo more\n");
        using (var stream = new FileStream(samesize, FileMode.Open, FileAccess.Write))
            stream.Write("#!/bin/sh\necho PWNED"u8);
        using (var stream = new FileStream(truncated, FileMode.Open, FileAccess.Write))
            stream.SetLength(0);

        Assert.False(stamps.Vouch(recordedAppended, Stat(appended)));
        Assert.False(stamps.Vouch(recordedSameSize, Stat(samesize)));
        Assert.False(stamps.Vouch(recordedTruncated, Stat(truncated)));
    }

    [Fact]
    public void AFileMadeAfterTheStartIsNeverVouchedFor()
    {
        var stamps = new ContentStamps(_mark);
        string made = Path.Combine(_root, "made");
        File.WriteAllText(made, "#!/bin/sh\n");

        Assert.False(stamps.Vouch(Stat(made), Stat(made)));   // its mtime is not earlier than the mark
    }

    [Fact]
    public void RetiredOrRevokedStampsVouchForNothing()
    {
        string path = ImageFile("f");
        FileSignature recorded = Stat(path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1c0);

        var retired = new ContentStamps(_mark);
        Assert.True(retired.Vouch(recorded, Stat(path)));
        retired.Retire("hashed");
        Assert.False(retired.Vouch(recorded, Stat(path)));
        Assert.False(retired.Revoke("too late"));   // retired on their own: nothing is withdrawn
        Assert.False(retired.Revoked);
        Assert.Equal("hashed", retired.RetiredBecause);

        var revoked = new ContentStamps(_mark);
        Assert.True(revoked.Revoke("a session ran outside the filter"));
        Assert.True(revoked.Revoked);
        Assert.False(revoked.Active);
        Assert.False(revoked.Vouch(recorded, Stat(path)));
    }

    [Fact]
    public void RevokingWithdrawsWhatWasRecordedOrHashedOnTheirWord()
    {
        var builder = new ImageBaseline.Builder();
        builder.Add("/bin/untouched", default);
        builder.AddByStamps("/bin/chmodded", default);
        builder.Add("/bin/hashed-by-stamps", default);
        ImageBaseline baseline = builder.Build(filesScanned: 3);
        BaselineEntry untouched = baseline.Find("/bin/untouched")!.Value;
        BaselineEntry chmodded = baseline.Find("/bin/chmodded")!.Value;
        BaselineEntry hashedByStamps = baseline.Find("/bin/hashed-by-stamps")!.Value;
        hashedByStamps.MarkByStamps();
        Assert.True(hashedByStamps.SetHash(default));
        Assert.True(untouched.SetHash(default));

        Assert.Equal(2, baseline.RevokeByStamps("a session ran outside the filter"));

        Assert.Null(untouched.RevokedReason);
        Assert.NotNull(untouched.Hash);
        Assert.Equal("a session ran outside the filter", chmodded.RevokedReason);
        Assert.Equal("a session ran outside the filter", hashedByStamps.RevokedReason);
        Assert.Null(hashedByStamps.Hash);
        Assert.False(chmodded.SetHash(default));   // a hash taken meanwhile is not published
        Assert.Null(chmodded.Hash);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int link(string oldPath, string newPath);

    private static int Link(string oldPath, string newPath) => link(oldPath, newPath);
}
