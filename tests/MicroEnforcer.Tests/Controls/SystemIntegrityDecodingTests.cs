using MicroEnforcer.Controls;
using Xunit;

namespace MicroEnforcer.Tests.Controls;

public sealed class SystemIntegrityDecodingTests
{
    [Theory]
    [InlineData(0u, true)]          // ntp_gettime, chronyc tracking: a read
    [InlineData(0xa001u, true)]     // ADJ_OFFSET_SS_READ: glibc's adjtime(NULL, &old)
    [InlineData(0x8001u, false)]    // ADJ_OFFSET_SINGLESHOT: adjtime(&delta, ...)
    [InlineData(0x4000u, false)]    // ADJ_TICK
    [InlineData(0x2000u, false)]    // ADJ_NANO alone sets STA_NANO
    [InlineData(0x0100u, false)]    // ADJ_SETOFFSET: steps the clock
    [InlineData(0x0001u, false)]    // ADJ_OFFSET
    public void AdjtimexChangesSomethingUnlessItsModesOnlyRead(uint modes, bool readOnly)
    {
        Assert.Equal(readOnly, SystemIntegrityCalls.IsReadOnly(modes));
    }

    [Theory]
    [InlineData("/proc/123/mem", 123)]
    [InlineData("/proc/123/task/124/mem", 123)]
    [InlineData("/chroot/proc/9/mem", 9)]
    [InlineData("/proc/123/maps", null)]
    [InlineData("/proc/self/mem", null)]
    [InlineData("/proc/123/memx", null)]
    [InlineData("/proc/0123/mem", null)]
    public void AMemoryFileIsNamedByItsOwner(string path, int? owner)
    {
        Assert.Equal(owner, ProcMemoryFile.OwnerOf(path));
    }
}
