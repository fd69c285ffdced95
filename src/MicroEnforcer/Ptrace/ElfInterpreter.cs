using System.Buffers.Binary;
using System.Globalization;
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
        return new Lookup(Describe(pid, mapping), null);
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

    private static ulong? FindEntry(ReadOnlySpan<byte> auxv, bool is32, ulong wanted)
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

    internal readonly record struct Mapping(string Path, ulong Inode, bool Deleted);

    /// <summary>The maps line that starts at <paramref name="address"/>: "start-end perms offset dev inode path".</summary>
    internal static Mapping? FindMapping(ReadOnlySpan<byte> maps, ulong address)
    {
        foreach (string line in PathText.Decode(maps).Split('\n'))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start) || start != address)
                continue;
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || !ulong.TryParse(fields[4], CultureInfo.InvariantCulture, out ulong inode))
                return null;
            string path = fields[5];
            const string DeletedSuffix = " (deleted)";
            bool deleted = path.EndsWith(DeletedSuffix, StringComparison.Ordinal);
            return new Mapping(deleted ? path[..^DeletedSuffix.Length] : path, inode, deleted);
        }
        return null;
    }

    private static ExecTarget Describe(int pid, Mapping mapping)
    {
        string name = ExecTarget.LastComponent(mapping.Path);
        // A deleted interpreter has no file to stat: it is described as what it is, unlinked.
        if (mapping.Deleted || FileSignature.TryRead(mapping.Path, out FileSignature signature) != 0)
        {
            var unlinked = new FileSignature(0, 0, mapping.Inode, 0, 0, 0, 0, 0, Libc.S_IFREG | 0x1ed, 0);
            return new ExecTarget(pid, mapping.Path, unlinked, mapping.Path, name);
        }
        return new ExecTarget(pid, mapping.Path, signature, mapping.Path, name);
    }
}
