using System.Runtime.InteropServices;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;
using Xunit;

namespace MicroEnforcer.Tests.Baseline;

/// <summary>
/// The start mark against the real kernel's change times: every kind of change made after the
/// mark leaves the file unproven, and a walk behind the changes records them as changed. One
/// class, so its tests never run beside each other: the last one sets the system clock.
/// </summary>
/// <remarks>
/// A clock set reaches every start mark on the machine, including those of enforcers other tests
/// run at the same time, whose walks would then stop. `make test` therefore runs the tests with
/// the trait <c>Clock=Sets</c> on their own, after all the others.
/// </remarks>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class StartMarkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("microenforcer-mark-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Executable(string relative)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return path;
    }

    private static FileSignature Stat(string path)
    {
        Assert.Equal(0, FileSignature.TryRead(path, out FileSignature signature));
        return signature;
    }

    /// <summary>A mark that comes after everything made so far, on a filesystem of whatever granularity.</summary>
    private StartMark TakeMark()
    {
        Thread.Sleep(20);   // past the coarse clock's tick (4 ms at HZ=250, 10 ms at HZ=100)
        StartMark mark = Take(_root);
        if (mark.IsExact)
            return mark;
        mark.Dispose();
        Thread.Sleep(1100);   // a filesystem stamped in whole seconds: the mark is its second
        return Take(_root);
    }

    internal static StartMark Take(string root)
    {
        int fd = NativePath.Open(root, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        Assert.True(fd >= 0);
        try
        {
            return StartMark.Take(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    [Fact]
    public void FilesMadeBeforeTheMarkAreProvenAndEveryLaterChangeUnprovesThem()
    {
        string untouched = Executable("bin/untouched");
        string chmodded = Executable("bin/chmodded");
        string written = Executable("bin/written");
        string renamed = Executable("bin/renamed");
        string linked = Executable("bin/linked");
        string moved = Executable("lib/app/tool");
        using StartMark mark = TakeMark();

        File.SetUnixFileMode(chmodded, (UnixFileMode)0x1c0);
        File.AppendAllText(written, "x");
        File.Move(renamed, renamed + "2");
        Assert.Equal(0, Link(linked, linked + "2"));
        Directory.Move(Path.Combine(_root, "lib/app"), Path.Combine(_root, "lib/app2"));
        string made = Executable("bin/made");

        Assert.True(mark.ProvesUntouched(Stat(untouched)));
        Assert.False(mark.ProvesUntouched(Stat(chmodded)));
        Assert.False(mark.ProvesUntouched(Stat(written)));
        Assert.False(mark.ProvesUntouched(Stat(renamed + "2")));
        Assert.False(mark.ProvesUntouched(Stat(linked)));
        Assert.False(mark.ProvesUntouched(Stat(made)));
        // A renamed directory keeps its files' change times: the file is the image's, under a new name.
        Assert.True(mark.ProvesUntouched(Stat(Path.Combine(_root, "lib/app2/tool"))));
        Assert.False(mark.ClockWasSet());
    }

    [Fact]
    public void AFileOnAnotherMountIsNeverProven()
    {
        Assert.True(Directory.Exists("/dev/shm"), "this test needs /dev/shm, a tmpfs mount of its own");
        string elsewhere = Path.Combine("/dev/shm", $"microenforcer-mark-{Environment.ProcessId}");
        File.WriteAllText(elsewhere, "#!/bin/sh\n");
        try
        {
            File.SetUnixFileMode(elsewhere, (UnixFileMode)0x1ed);
            using StartMark mark = TakeMark();
            FileSignature signature = Stat(elsewhere);

            Assert.NotEqual(mark.RootMountId, signature.MountId);
            Assert.True(mark.IsBefore(signature.CtimeSec, signature.CtimeNsec));   // only the mount says no
            Assert.False(mark.ProvesUntouched(signature));
        }
        finally
        {
            File.Delete(elsewhere);
        }
    }

    [Fact]
    public void AFilesystemNotStampedByThisKernelsClockVouchesForNothing()
    {
        // /proc stands in for NFS, 9p, FUSE: not on the list of local filesystems.
        using StartMark mark = Take("/proc");
        Assert.NotNull(mark.CannotVouchReason);
        Assert.False(mark.ProvesUntouched(Stat("/proc/self/stat") with { MountId = mark.RootMountId, CtimeSec = 1 }));

        using StartMark local = Take(_root);
        Assert.Null(local.CannotVouchReason);
    }

    [Fact]
    public void TheWalkBehindTheChangesRecordsThemAsChanged()
    {
        Executable("bin/untouched");
        string chmodded = Executable("bin/chmodded");
        Executable("lib/app/tool");
        File.WriteAllText(Path.Combine(_root, "bin/data"), "not executable");
        using StartMark mark = TakeMark();

        File.SetUnixFileMode(chmodded, (UnixFileMode)0x1c0);
        Executable("bin/made");
        Directory.Move(Path.Combine(_root, "lib/app"), Path.Combine(_root, "lib/app2"));

        ImageBaseline baseline = BaselineCapture.Capture(_root, new HashSet<string>(), mark);

        Assert.False(baseline.ClockSetDuringCapture);
        Assert.Equal(4, baseline.ExecutableCount);
        Assert.Equal(2, baseline.ChangedCount);
        Assert.False(baseline.Find(_root + "/bin/untouched")!.Value.ChangedBeforeRecorded);
        Assert.True(baseline.Find(_root + "/bin/chmodded")!.Value.ChangedBeforeRecorded);
        Assert.True(baseline.Find(_root + "/bin/made")!.Value.ChangedBeforeRecorded);
        Assert.False(baseline.Find(_root + "/lib/app2/tool")!.Value.ChangedBeforeRecorded);
        Assert.Null(baseline.Find(_root + "/lib/app/tool"));
        Assert.Null(baseline.Find(_root + "/bin/data"));
    }

    /// <summary>
    /// Sets CLOCK_REALTIME one millisecond ahead of the time it reads (never back: a backward
    /// step would disturb the machine's logs; any set cancels the timerfd): from then on the mark
    /// proves nothing, and a walk stops at once and keeps nothing it read after the set. Needs
    /// CAP_SYS_TIME (root), and fails without it.
    /// </summary>
    [Fact]
    [Trait("Clock", "Sets")]
    public unsafe void AfterTheClockIsSetNothingIsProvenAndTheWalkStops()
    {
        string untouched = Executable("bin/untouched");
        for (int i = 0; i < 50; i++)
            Executable($"d{i}/tool");
        using StartMark mark = TakeMark();
        Assert.True(mark.ProvesUntouched(Stat(untouched)));

        Libc.timespec now;
        Assert.Equal(0, Libc.ClockGetTime(Libc.CLOCK_REALTIME, &now));
        now.tv_nsec += 1_000_000;
        if (now.tv_nsec >= 1_000_000_000)
        {
            now.tv_sec++;
            now.tv_nsec -= 1_000_000_000;
        }
        Assert.True(ClockSetTime(Libc.CLOCK_REALTIME, &now) == 0,
            $"clock_settime needs CAP_SYS_TIME (run the tests as root): {Marshal.GetLastPInvokeErrorMessage()}");

        Assert.False(mark.ProvesUntouched(Stat(untouched)));
        Assert.True(mark.ClockWasSet());
        Assert.True(mark.ClockWasSet());   // sticky: the timerfd reports a set only once
        ImageBaseline baseline = BaselineCapture.Capture(_root, new HashSet<string>(), mark);
        Assert.True(baseline.ClockSetDuringCapture);
        Assert.Equal(0, baseline.ExecutableCount);   // the root directory's own listing is forgotten, and nothing below it is listed
    }

    [LibraryImport("libc", EntryPoint = "clock_settime", SetLastError = true)]
    private static unsafe partial int ClockSetTime(int clock, Libc.timespec* time);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string created);
}
