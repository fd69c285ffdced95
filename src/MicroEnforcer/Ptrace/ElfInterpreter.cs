using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MicroEnforcer.Baseline;
using MicroEnforcer.Controls;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// The ELF interpreter (PT_INTERP, normally ld.so) that execve mapped into a process. It runs
/// before the program does, so it is an executable like any other: the auxiliary vector gives its
/// load address (AT_BASE), and /proc/PID/maps names the file mapped there.
/// </summary>
internal static class ElfInterpreter
{
    private const ulong AT_PAGESZ = 6;
    private const ulong AT_BASE = 7;

    /// <summary>Target: the interpreter to decide (null for a static binary); or why it could not be found.</summary>
    internal readonly record struct Lookup(ExecTarget? Target, string? Failure);

    public static Lookup Find(int pid)
    {
        Span<byte> auxv = stackalloc byte[4096];
        int auxvLength = Procfs.ProcFile.ReadOnce($"/proc/{pid}/auxv", auxv);
        if (auxvLength <= 0 || auxvLength == auxv.Length)
            return new Lookup(null, "cannot read the process's auxiliary vector");
        if (IsCompat(auxv[..auxvLength]) is not bool is32)
            return new Lookup(null, "cannot tell the auxiliary vector's word size");
        ulong? baseAddress = ParseAtBase(auxv[..auxvLength], is32);
        if (baseAddress is null)
            return new Lookup(null, "no AT_BASE in the auxiliary vector");
        if (baseAddress == 0)
            return new Lookup(null, null);   // statically linked: the kernel mapped no interpreter

        byte[]? maps = Procfs.ProcFile.ReadAll($"/proc/{pid}/maps");
        if (maps is null)
            return new Lookup(null, "cannot read the process's memory map");
        if (FindMapping(maps, baseAddress.Value) is not { } mapping)
            return new Lookup(null, $"nothing mapped at the interpreter's address 0x{baseAddress:x}");
        return Describe(pid, mapping);
    }

    /// <summary>
    /// The auxiliary vector's word size, from the vector itself (reading the image's ELF class
    /// from /proc/PID/exe cost an open, a read and a close on every exec). AT_PAGESZ is in every
    /// vector the kernel writes, with the page size as its value. Read as 64-bit words, a 32-bit
    /// vector (i386, or x32, whose words are 32-bit under the 64-bit code segment) never shows
    /// it: each 64-bit type word would hold a 32-bit type in its low half and that type's value
    /// in its high half, and a page size is never 0. Null: neither reading finds it.
    /// </summary>
    internal static bool? IsCompat(ReadOnlySpan<byte> auxv)
    {
        ulong pageSize = (ulong)Environment.SystemPageSize;
        if (FindEntry(auxv, is32: false, AT_PAGESZ) == pageSize)
            return false;
        if (FindEntry(auxv, is32: true, AT_PAGESZ) == pageSize)
            return true;
        return null;
    }

    internal static ulong? ParseAtBase(ReadOnlySpan<byte> auxv, bool is32) => FindEntry(auxv, is32, AT_BASE);

    internal static ulong? FindEntry(ReadOnlySpan<byte> auxv, bool is32, ulong wanted)
    {
        int word = is32 ? 4 : 8;
        for (int i = 0; i + 2 * word <= auxv.Length; i += 2 * word)
        {
            ulong type = is32 ? BinaryPrimitives.ReadUInt32LittleEndian(auxv[i..]) : BinaryPrimitives.ReadUInt64LittleEndian(auxv[i..]);
            ulong value = is32 ? BinaryPrimitives.ReadUInt32LittleEndian(auxv[(i + word)..]) : BinaryPrimitives.ReadUInt64LittleEndian(auxv[(i + word)..]);
            if (type == wanted)
                return value;
            if (type == 0)
                break;   // AT_NULL
        }
        return null;
    }

    /// <summary>A maps line's file: its path, and the device (the superblock's, hex in maps) and inode of the file mapped.</summary>
    internal readonly record struct Mapping(string Path, uint DevMajor, uint DevMinor, ulong Inode, bool Deleted);

    /// <summary>The maps line that starts at <paramref name="address"/>: "start-end perms offset dev inode path".</summary>
    internal static Mapping? FindMapping(ReadOnlySpan<byte> maps, ulong address)
    {
        foreach (string line in PathText.Decode(maps).Split('\n'))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start) || start != address)
                continue;
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || !ulong.TryParse(fields[4], CultureInfo.InvariantCulture, out ulong inode) || ParseDevice(fields[3]) is not var (major, minor))
                return null;
            string path = fields[5];
            const string DeletedSuffix = " (deleted)";
            bool deleted = path.EndsWith(DeletedSuffix, StringComparison.Ordinal);
            return new Mapping(deleted ? path[..^DeletedSuffix.Length] : path, major, minor, inode, deleted);
        }
        return null;
    }

    // "fe:00": major and minor in hex, as maps prints them. mountinfo prints them in decimal.
    private static (uint Major, uint Minor)? ParseDevice(string field, NumberStyles style = NumberStyles.HexNumber)
    {
        int colon = field.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 &&
            uint.TryParse(field.AsSpan(0, colon), style, CultureInfo.InvariantCulture, out uint major) &&
            uint.TryParse(field.AsSpan(colon + 1), style, CultureInfo.InvariantCulture, out uint minor)
            ? (major, minor) : null;
    }

    private static Lookup Describe(int pid, Mapping mapping)
    {
        string name = ExecTarget.LastComponent(mapping.Path);
        // A deleted interpreter has no file to stat: it is described as what it is, unlinked.
        if (mapping.Deleted || NativePath.Statx(mapping.Path, 0, out Libc.statx st) != 0)
        {
            var unlinked = new FileSignature(0, 0, mapping.Inode, 0, 0, 0, 0, 0, Libc.S_IFREG | 0x1ed, 0);
            return new Lookup(new ExecTarget(pid, mapping.Path, unlinked, mapping.Path, name) { Role = ExecRole.ElfInterpreter }, null);
        }
        // The path is looked up now, after the kernel mapped what it named then: a file renamed
        // over it meanwhile would be judged in place of the one that runs. It must be the file
        // mapped, by inode and device. maps gives the superblock's device; statx gives the one
        // the filesystem reports, which is another for overlayfs with layers on several
        // filesystems (a device per layer) and for btrfs subvolumes: then the device of the
        // statx'd file's mount (mountinfo, also the superblock's) must be the mapped one.
        //
        // Before Linux 6.8, maps showed an overlayfs mapping's underlying file (the layer's device
        // and inode), which nothing here can relate to the overlay file: then the identity cannot
        // be checked, and the interpreter is judged by its path, as it was before the check.
        if (IsMappedFile(mapping, st) == false)
        {
            return new Lookup(null, $"the ELF interpreter {mapping.Path} is not the file the kernel mapped (replaced after the exec loaded it)");
        }
        return new Lookup(new ExecTarget(pid, mapping.Path, FileSignature.From(st), mapping.Path, name) { Role = ExecRole.ElfInterpreter }, null);
    }

    /// <summary>
    /// Whether <paramref name="st"/> (with STATX_MNT_ID) is the file <paramref name="mapping"/> maps:
    /// same device and inode; not it, on the same device with another inode; null when maps
    /// names a device the statx'd file is not on (an overlay's layer, before Linux 6.8).
    /// </summary>
    internal static bool? IsMappedFile(in Mapping mapping, in Libc.statx st)
    {
        bool sameDevice = (st.stx_dev_major, st.stx_dev_minor) == (mapping.DevMajor, mapping.DevMinor) ||
            MountDevice(st.stx_mnt_id) == (mapping.DevMajor, mapping.DevMinor);
        return sameDevice ? st.stx_ino == mapping.Inode : null;
    }

    /// <summary>The device (major:minor, field 3 of mountinfo) of the mount with id <paramref name="mountId"/>.</summary>
    internal static (uint Major, uint Minor)? MountDevice(ulong mountId, string mountinfoPath = "/proc/self/mountinfo")
    {
        byte[]? mountinfo = Procfs.ProcFile.ReadAll(mountinfoPath, 16384);
        if (mountinfo is null)
            return null;
        string id = mountId.ToString(CultureInfo.InvariantCulture);
        foreach (string line in Encoding.UTF8.GetString(mountinfo).Split('\n'))
        {
            string[] fields = line.Split(' ', 4);
            if (fields.Length >= 3 && fields[0] == id)
                return ParseDevice(fields[2], NumberStyles.None);
        }
        return null;
    }
}
