using System.Buffers.Binary;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Ptrace;

/// <summary>
/// Whether an image binary has a PT_INTERP program header, read once per file signature. The
/// kernel maps an ELF interpreter only for an image that has one (load_elf_binary), so a static
/// image needs no look at the process's auxiliary vector at its exec event: one /proc
/// open-read-close fewer on every exec of it.
///
/// The key is the whole <see cref="FileSignature"/> of the loaded file (dev, ino, size, mtime,
/// ctime, mode, links): any write, truncate, chmod or rename of the file moves its ctime, which
/// userspace cannot set back, so an entry never describes other content than the file has now
/// (but see <see cref="FileSignature.IsSettled"/> for files changed within the last clock tick).
/// The headers are read through /proc/PID/exe, the very file object the kernel loaded, between
/// the statx that gave the signature and a second statx of the open file: an entry is only kept
/// when both agree, so a write racing the read cannot leave a stale fact behind. Anything that is
/// not a well-formed ELF header as the kernel checks it is unknown, and the caller looks in the
/// process as it did before.
///
/// The same read tells an ELF interpreter run as a program (<see cref="LoaderKind"/>): a shared
/// object (ET_DYN) without PT_INTERP that is not a position-independent executable (no DF_1_PIE
/// in DT_FLAGS_1, which linkers set for every PIE, static ones included). glibc's ld.so and musl's
/// libc.so are such files; glibc's is told by its DT_SONAME (ld-linux*).
///
/// Used only on the notify loop's thread.
/// </summary>
internal sealed class ElfImageFacts
{
    private const int Capacity = 4096;   // one entry per distinct executable; cleared when full
    private const uint PT_LOAD = 1;
    private const uint PT_DYNAMIC = 2;
    private const uint PT_INTERP = 3;
    private const long DT_STRTAB = 5;
    private const long DT_SONAME = 14;
    private const long DT_FLAGS_1 = 0x6ffffffb;
    private const ulong DF_1_PIE = 0x08000000;

    /// <summary>What an image binary is to the dynamic loader.</summary>
    internal enum LoaderKind : byte
    {
        /// <summary>A program: it has PT_INTERP, or is static (also a static PIE).</summary>
        None,

        /// <summary>glibc's ELF interpreter (DT_SONAME ld-linux*), run as a program.</summary>
        Glibc,

        /// <summary>Another shared object without PT_INTERP run as a program (musl's libc.so, which is its loader).</summary>
        Other,
    }

    /// <summary>The facts of one image file.</summary>
    internal readonly record struct Facts(bool HasInterpreter, LoaderKind Loader);

    private readonly Dictionary<FileSignature, Facts> _facts = [];

    /// <summary>True or false: the image has (or has not) PT_INTERP; null: unknown.</summary>
    public bool? HasInterpreter(int pid, in FileSignature image) => Get(pid, image)?.HasInterpreter;

    /// <summary>The image's facts; null: unknown (not an ELF the kernel would load, or changed during the read).</summary>
    public Facts? Get(int pid, in FileSignature image)
    {
        if (_facts.TryGetValue(image, out Facts known))
            return known;
        if (ReadFacts($"/proc/{pid}/exe", image) is not { } read)
            return null;
        if (!image.IsSettled)
            return read;   // true of this exec (the file cannot be written while it runs), not kept
        if (_facts.Count >= Capacity)
            _facts.Clear();
        _facts[image] = read;
        return read;
    }

    /// <summary>Whether the file at <paramref name="path"/> has PT_INTERP, if it still has <paramref name="expected"/>'s signature.</summary>
    internal static bool? Read(string path, in FileSignature expected) => ReadFacts(path, expected)?.HasInterpreter;

    /// <summary>Reads the program headers of the file at <paramref name="path"/>, if it still has <paramref name="expected"/>'s signature.</summary>
    internal static unsafe Facts? ReadFacts(string path, in FileSignature expected)
    {
        int fd = NativePath.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return null;
        try
        {
            // The program headers normally follow the ELF header: one read of the first page has both.
            byte[] buffer = new byte[4096];
            int length = PRead(fd, buffer, 0);
            if (ProgramHeaders(buffer.AsSpan(0, Math.Max(length, 0))) is not { } table)
                return null;
            ReadOnlySpan<byte> headers;
            if (table.Offset + table.Size <= length)
            {
                headers = buffer.AsSpan((int)table.Offset, table.Size);
            }
            else
            {
                byte[] more = new byte[table.Size];
                if (PRead(fd, more, table.Offset) != table.Size)
                    return null;   // the kernel would have refused a short file
                headers = more;
            }
            bool found = HasInterpreterHeader(headers, table.EntrySize);
            LoaderKind loader = found || !table.SharedObject ? LoaderKind.None : Loader(fd, headers, table.EntrySize);
            return FileSignature.TryRead(fd, out FileSignature now) == 0 && now == expected ? new Facts(found, loader) : null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    internal readonly record struct Table(long Offset, int Size, int EntrySize, bool SharedObject = false);

    /// <summary>Where the program header table is, with the kernel's own sanity checks (load_elf_phdrs); null: not such an ELF.</summary>
    internal static Table? ProgramHeaders(ReadOnlySpan<byte> file)
    {
        ReadOnlySpan<byte> magic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];
        if (file.Length < 52 || !file[..4].SequenceEqual(magic) || file[5] != 1)   // ELFDATA2LSB
            return null;
        bool is64;
        switch (file[4])
        {
            case 2: is64 = true; break;    // ELFCLASS64
            case 1: is64 = false; break;   // ELFCLASS32: i386 and x32
            default: return null;
        }
        if (is64 && file.Length < 64)
            return null;
        ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(file[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(file[28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(file[(is64 ? 54 : 42)..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(file[(is64 ? 56 : 44)..]);
        int size = entrySize * count;
        if (entrySize != (is64 ? 56 : 32) || size == 0 || size > 65536 || offset > long.MaxValue - (ulong)size)
            return null;   // the kernel refuses these
        bool sharedObject = BinaryPrimitives.ReadUInt16LittleEndian(file[16..]) == 3;   // e_type ET_DYN
        return new Table((long)offset, size, entrySize, sharedObject);
    }

    /// <summary>
    /// A shared object without PT_INTERP: a PIE (DF_1_PIE) is a program; anything else run as a
    /// program is a loader (glibc's by its DT_SONAME), or a library with an entry point.
    /// </summary>
    private static LoaderKind Loader(int fd, ReadOnlySpan<byte> headers, int entrySize)
    {
        bool is64 = entrySize == 56;
        int word = is64 ? 8 : 4;
        (long Offset, long Size)? dynamic = null;
        var loads = new List<(ulong Vaddr, ulong Offset, ulong Size)>();
        for (int i = 0; i + entrySize <= headers.Length; i += entrySize)
        {
            ReadOnlySpan<byte> h = headers[i..];
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(h);
            ulong offset = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(h[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
            ulong vaddr = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(h[16..]) : BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
            ulong fileSize = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(h[32..]) : BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            if (type == PT_DYNAMIC && fileSize <= 65536 && offset <= long.MaxValue)
                dynamic = ((long)offset, (long)fileSize);
            else if (type == PT_LOAD)
                loads.Add((vaddr, offset, fileSize));
        }
        if (dynamic is not var (dynOffset, dynSize))
            return LoaderKind.None;   // a static PIE without a dynamic section: nothing to load for anyone
        byte[] table = new byte[dynSize];
        if (PRead(fd, table, dynOffset) != table.Length)
            return LoaderKind.Other;
        ulong? soname = null, strtab = null;
        for (int i = 0; i + 2 * word <= table.Length; i += 2 * word)
        {
            long tag = is64 ? BinaryPrimitives.ReadInt64LittleEndian(table.AsSpan(i)) : BinaryPrimitives.ReadInt32LittleEndian(table.AsSpan(i));
            ulong value = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(i + word)) : BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(i + word));
            if (tag == 0)
                break;   // DT_NULL
            if (tag == DT_FLAGS_1 && (value & DF_1_PIE) != 0)
                return LoaderKind.None;
            if (tag == DT_SONAME)
                soname = value;
            else if (tag == DT_STRTAB)
                strtab = value;
        }
        if (soname is null || strtab is null)
            return LoaderKind.Other;
        foreach (var (vaddr, offset, size) in loads)
        {
            ulong address = strtab.Value + soname.Value;
            if (address < vaddr || address - vaddr >= size)
                continue;
            byte[] name = new byte[16];
            int n = PRead(fd, name, (long)(offset + (address - vaddr)));
            return n >= 8 && name.AsSpan(0, 8).SequenceEqual("ld-linux"u8) ? LoaderKind.Glibc : LoaderKind.Other;
        }
        return LoaderKind.Other;
    }

    internal static bool HasInterpreterHeader(ReadOnlySpan<byte> headers, int entrySize)
    {
        for (int i = 0; i + entrySize <= headers.Length; i += entrySize)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(headers[i..]) == PT_INTERP)
                return true;
        }
        return false;
    }

    private static unsafe int PRead(int fd, byte[] buffer, long offset)
    {
        fixed (byte* p = buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                nint n = Libc.PRead(fd, p + total, (nuint)(buffer.Length - total), offset + total);
                if (n < 0 && Libc.LastErrno == Libc.EINTR)
                    continue;
                if (n <= 0)
                    break;
                total += (int)n;
            }
            return total;
        }
    }
}
