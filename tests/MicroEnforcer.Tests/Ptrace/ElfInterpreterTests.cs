using System.Buffers.Binary;
using System.Text;
using MicroEnforcer.Ptrace;
using Xunit;

namespace MicroEnforcer.Tests.Ptrace;

public sealed class ElfInterpreterTests
{
    private static byte[] Auxv(bool is32, params (ulong Type, ulong Value)[] entries)
    {
        int word = is32 ? 4 : 8;
        byte[] auxv = new byte[(entries.Length + 1) * 2 * word];
        for (int i = 0; i < entries.Length; i++)
        {
            if (is32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(auxv.AsSpan(i * 8), (uint)entries[i].Type);
                BinaryPrimitives.WriteUInt32LittleEndian(auxv.AsSpan(i * 8 + 4), (uint)entries[i].Value);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(auxv.AsSpan(i * 16), entries[i].Type);
                BinaryPrimitives.WriteUInt64LittleEndian(auxv.AsSpan(i * 16 + 8), entries[i].Value);
            }
        }
        return auxv;
    }

    [Fact]
    public void AtBaseOfA64BitProcess() =>
        Assert.Equal(0x7f00_1234_5000UL, ElfInterpreter.ParseAtBase(Auxv(false, (33, 1), (6, 4096), (7, 0x7f00_1234_5000), (9, 0x401000)), is32: false));

    [Fact]
    public void AtBaseOfA32BitProcess() =>
        Assert.Equal(0xf7f0_0000UL, ElfInterpreter.ParseAtBase(Auxv(true, (6, 4096), (7, 0xf7f0_0000)), is32: true));

    [Fact]
    public void StaticBinaryHasAtBaseZero() =>
        Assert.Equal(0UL, ElfInterpreter.ParseAtBase(Auxv(false, (7, 0)), is32: false));

    [Fact]
    public void MissingAtBaseIsNull() =>
        Assert.Null(ElfInterpreter.ParseAtBase(Auxv(false, (6, 4096)), is32: false));

    private const string Maps =
        "55d0c0a00000-55d0c0a01000 r--p 00000000 00:2a 1234                       /opt/tests/hello_dyn\n" +
        "7f1c2a3b4000-7f1c2a3b5000 r--p 00000000 00:2a 5678                       /lib64/ld-linux-x86-64.so.2\n" +
        "7f1c2a3b5000-7f1c2a3da000 r-xp 00001000 00:2a 5678                       /lib64/ld-linux-x86-64.so.2\n" +
        "7f1c2a400000-7f1c2a401000 r-xp 00000000 00:01 91                         /memfd:evil (deleted)\n" +
        "7ffd5e1f0000-7ffd5e211000 rw-p 00000000 00:00 0                          [stack]\n";

    [Fact]
    public void MappingAtTheInterpreterBase()
    {
        var mapping = ElfInterpreter.FindMapping(Encoding.ASCII.GetBytes(Maps), 0x7f1c2a3b4000);

        Assert.Equal(new ElfInterpreter.Mapping("/lib64/ld-linux-x86-64.so.2", 0, 0x2a, 5678, false), mapping);
    }

    [Fact]
    public void DeletedMappingIsMarked()
    {
        var mapping = ElfInterpreter.FindMapping(Encoding.ASCII.GetBytes(Maps), 0x7f1c2a400000);

        Assert.Equal(new ElfInterpreter.Mapping("/memfd:evil", 0, 1, 91, true), mapping);
    }

    [Fact]
    public void ThisProcesssInterpreterIsTheFileMappedAndAnotherFileIsNot()
    {
        // maps gives the superblock's device in hex, statx the filesystem's: they are compared
        // as the exec check does, on whatever filesystem the test host runs from.
        string line = File.ReadAllLines("/proc/self/maps").First(l => l.Contains("/ld-linux", StringComparison.Ordinal));
        ulong start = ulong.Parse(line[..line.IndexOf('-', StringComparison.Ordinal)], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var mapping = ElfInterpreter.FindMapping(Encoding.ASCII.GetBytes(line + "\n"), start)!.Value;

        Assert.Equal(0, MicroEnforcer.Interop.NativePath.Statx(mapping.Path, 0, out var mapped));
        Assert.True(ElfInterpreter.IsMappedFile(mapping, mapped));
        Assert.Equal(0, MicroEnforcer.Interop.NativePath.Statx("/usr/bin/env", 0, out var other));
        Assert.False(ElfInterpreter.IsMappedFile(mapping, other));
        // maps naming a device the file is not on (an overlay's layer, before Linux 6.8): undecidable.
        Assert.Null(ElfInterpreter.IsMappedFile(mapping with { DevMinor = mapping.DevMinor + 1 }, mapped with { stx_dev_minor = mapping.DevMinor + 2 }));
    }

    [Fact]
    public void MountDeviceOfTheRootMount()
    {
        Assert.Equal(0, MicroEnforcer.Interop.NativePath.Statx("/", 0, out var root));
        Assert.NotNull(ElfInterpreter.MountDevice(root.stx_mnt_id));
        Assert.Null(ElfInterpreter.MountDevice(ulong.MaxValue));
    }

    [Fact]
    public void NoMappingAtAnAddressInsideOne() =>
        Assert.Null(ElfInterpreter.FindMapping(Encoding.ASCII.GetBytes(Maps), 0x7f1c2a3b4800));

    public static TheoryData<bool, ulong[]> Vectors => new()
    {
        // Shapes of real vectors: AT_SYSINFO_EHDR first on x86-64, AT_SYSINFO on i386, none without a vDSO.
        { false, [33, 0x7ffd_1234_5000, 16, 0x178bfbff, 6, 4096, 17, 100, 3, 0x400040, 7, 0x7f00_0000_0000, 9, 0x401000] },
        { true, [32, 0xf7f0_1550, 33, 0xf7f0_1000, 16, 0x178bfbff, 6, 4096, 7, 0xf7f0_3000] },
        { true, [16, 0x178bfbff, 6, 4096, 7, 0] },   // x32 or i386 without a vDSO
        { false, [6, 4096, 7, 0] },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TheWordSizeComesFromThePageSizeEntry(bool is32, ulong[] pairs)
    {
        var entries = Enumerable.Range(0, pairs.Length / 2).Select(i => (pairs[2 * i], pairs[2 * i + 1])).ToArray();

        Assert.Equal(is32, ElfInterpreter.IsCompat(Auxv(is32, entries)));
    }

    [Fact]
    public void AVectorWithoutAPageSizeIsNotGuessed()
    {
        Assert.Null(ElfInterpreter.IsCompat(Auxv(false, (33, 1), (7, 0))));
        Assert.Null(ElfInterpreter.IsCompat(Auxv(false, (6, 0))));   // a page size is never 0
        Assert.Null(ElfInterpreter.IsCompat([]));
    }
}
