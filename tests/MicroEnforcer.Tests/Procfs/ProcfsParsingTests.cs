using System.Text;
using MicroEnforcer.Baseline;
using MicroEnforcer.Procfs;
using Xunit;

namespace MicroEnforcer.Tests.Procfs;

public sealed class ProcfsParsingTests
{
    private const string Status = "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nNgid:\t0\nPid:\t43\nPPid:\t7\nTracerPid:\t0\n" +
                                  "Uid:\t1000\t33\t33\t33\nGid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\nCapBnd:\t000001ffffffffff\n";

    [Fact]
    public void StatusGivesSeccompFilterCountAndZombieState()
    {
        ProcStatus status = ProcStatus.Parse(Status + "Seccomp:\t2\nSeccomp_filters:\t3\n")!.Value;
        Assert.Equal(3, status.SeccompFilters);
        Assert.False(status.IsZombie);
        Assert.True(ProcStatus.Parse(Status.Replace("State:\tS (sleeping)", "State:\tZ (zombie)", StringComparison.Ordinal))!.Value.IsZombie);
    }

    [Fact]
    public void StatusGivesThreadGroupParentAndEffectiveUid()
    {
        Assert.Equal(new ProcStatus(42, 7, 33, 0, 0, 'S'), ProcStatus.Parse(Status));
        Assert.Equal(99, ProcStatus.Parse(Status.Replace("TracerPid:\t0", "TracerPid:\t99", StringComparison.Ordinal))!.Value.TracerPid);
    }

    [Fact]
    public void StatusOfThisProcessIsReadWithoutAFileStream()
    {
        ProcStatus status = ProcStatus.Read(Environment.ProcessId)!.Value;
        Assert.Equal(Environment.ProcessId, status.Tgid);
        Assert.False(status.IsZombie);
        Assert.Null(ProcStatus.Read(int.MaxValue));
    }

    [Fact]
    public void ProcessesAndThreadsAreListedFromProc()
    {
        Assert.Contains(Environment.ProcessId, ProcTasks.Processes());
        List<int> threads = ProcTasks.List(Environment.ProcessId);
        Assert.Contains(Environment.ProcessId, threads);
        Assert.True(threads.Count > 1);   // the test host runs more than one thread
        Assert.Empty(ProcTasks.List(int.MaxValue));
    }

    [Fact]
    public void StatusWithoutPidFieldsIsRejected()
    {
        Assert.Null(ProcStatus.Parse("Name:\tsh\n"));
    }

    [Theory]
    [InlineData("CapEff", 19, false)]   // CAP_SYS_PTRACE not in a80425fb
    [InlineData("CapEff", 0, true)]     // CAP_CHOWN
    [InlineData("CapBnd", 19, true)]
    [InlineData("CapPrm", 0, false)]    // absent field
    public void CapabilityMasks(string field, int capability, bool expected)
    {
        Assert.Equal(expected, Capabilities.HasCapability(Status, field, capability));
    }

    [Fact]
    public void CmdlineIsShownSpaceSeparated()
    {
        Assert.Equal("nginx -g daemon off;", ProcCmdline.Format("nginx\0-g\0daemon off;\0"u8));
        Assert.Equal("", ProcCmdline.Format([]));
    }

    [Fact]
    public void MountPointsAreUnescaped()
    {
        const string mountinfo =
            "65 43 0:39 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n" +
            "66 65 0:41 / /proc rw,relatime - proc proc rw\n" +
            "67 65 0:42 / /my\\040volume rw - tmpfs tmpfs rw\n" +
            "68 65 0:43 /etc/hosts /etc/hosts rw - ext4 /dev/vda rw\n";

        var points = MountTable.ParseMountPoints(mountinfo);

        Assert.Equal(new HashSet<string> { "/", "/proc", "/my volume", "/etc/hosts" }, points);
    }

    [Theory]
    [InlineData("/a\\011b", "/a\tb")]
    [InlineData("/a\\134b", "/a\\b")]
    [InlineData("/plain", "/plain")]
    [InlineData("/trailing\\04", "/trailing\\04")]
    public void MountinfoOctalEscapes(string field, string expected)
    {
        Assert.Equal(expected, MountTable.Unescape(field));
    }

    [Fact]
    public void StatGivesFlagsAndStartTime_CountedAfterTheLastParenthesis()
    {
        // comm may hold spaces and parentheses; PF_FORKNOEXEC (0x40) is in field 9, starttime in 22.
        const string Tail = " 120 0 0 0 1 2 3 4 20 0 1 0 987654 1234 56\n";
        Assert.Equal(new ProcStat(0x400040, 987654), ProcStat.Parse(Encoding.ASCII.GetBytes("77 (a) b (c) S 0 77 1 0 -1 4194368" + Tail)));
        Assert.True(ProcStat.Parse(Encoding.ASCII.GetBytes("77 (a) b (c) S 0 77 1 0 -1 4194368" + Tail))!.Value.ForkedWithoutExec);
        Assert.False(ProcStat.Parse(Encoding.ASCII.GetBytes("78 (sleep) S 1 78 1 0 -1 4194304" + Tail))!.Value.ForkedWithoutExec);
        Assert.Null(ProcStat.Parse("79 (truncated) S 1 79 1 0 -1 4194304 99"u8));
    }

    [Fact]
    public void ThisProcess_HasExecdSinceItWasForked_AndKeepsItsStartTime()
    {
        ProcStat self = ProcStat.Read(Environment.ProcessId)!.Value;
        Assert.False(self.ForkedWithoutExec);
        Assert.Equal(self.StartTime, ProcStat.Read(Environment.ProcessId)!.Value.StartTime);
    }
}
