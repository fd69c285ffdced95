using MicroEnforcer.Interop;
using MicroEnforcer.Seccomp;
using Xunit;

namespace MicroEnforcer.Tests.Seccomp;

public sealed class ExecRequestTests
{
    private static unsafe Libc.seccomp_data Data(uint arch, int nr, params ulong[] args)
    {
        var data = new Libc.seccomp_data { arch = arch, nr = nr };
        for (int i = 0; i < args.Length; i++)
            data.args[i] = args[i];
        return data;
    }

    [Fact]
    public void X86_64Execve()
    {
        var r = ExecRequest.Decode(Data(SeccompConstants.AUDIT_ARCH_X86_64, 59, 0x1000, 0x2000, 0x3000));

        Assert.Equal(new ExecRequest("execve", Libc.AT_FDCWD, 0x1000, 0x2000, 0, false), r);
    }

    [Fact]
    public void X86_64ExecveatReadsDirfdAndFlagsAs32BitInts()
    {
        // The kernel takes dirfd and flags as int: upper garbage must not change them.
        var r = ExecRequest.Decode(Data(SeccompConstants.AUDIT_ARCH_X86_64, 322, 0xdead_0000_ffff_ff9c, 0x1000, 0x2000, 0, 0xffff_0000_0000_1000));

        Assert.NotNull(r);
        Assert.Equal(Libc.AT_FDCWD, r.DirFd);
        Assert.Equal(Libc.AT_EMPTY_PATH, r.Flags);
        Assert.Equal("execveat", r.Syscall);
    }

    [Fact]
    public void I386ExecveUses32BitPointers()
    {
        var r = ExecRequest.Decode(Data(SeccompConstants.AUDIT_ARCH_I386, 11, 0x0804_0000, 0x0805_0000));

        Assert.Equal(new ExecRequest("execve", Libc.AT_FDCWD, 0x0804_0000, 0x0805_0000, 0, true), r);
    }

    [Fact]
    public void X32ExecveUses32BitPointers()
    {
        var r = ExecRequest.Decode(Data(SeccompConstants.AUDIT_ARCH_X86_64, unchecked((int)(0x40000000u | 520)), 0x1000, 0x2000));

        Assert.NotNull(r);
        Assert.True(r.Pointers32);
    }

    [Theory]
    [InlineData(SeccompConstants.AUDIT_ARCH_X86_64, 0)]
    [InlineData(SeccompConstants.AUDIT_ARCH_I386, 59)]
    [InlineData(0xc00000b7u, 221)]
    public void NonExecIsNotDecoded(uint arch, int nr)
    {
        Assert.Null(ExecRequest.Decode(Data(arch, nr)));
    }
}
