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
/// Used only on the notify loop's thread.
/// </summary>
internal sealed class ElfImageFacts
{
    private const int Capacity = 4096;   // one bool per distinct executable; cleared when full
    private const uint PT_INTERP = 3;

    private readonly Dictionary<FileSignature, bool> _hasInterpreter = [];

    /// <summary>True or false: the image has (or has not) PT_INTERP; null: unknown.</summary>
    public bool? HasInterpreter(int pid, in FileSignature image)
    {
        if (_hasInterpreter.TryGetValue(image, out bool known))
            return known;
        if (Read($"/proc/{pid}/exe", image) is not bool read)
            return null;
        if (!image.IsSettled)
            return read;   // true of this exec (the file cannot be written while it runs), not kept
        if (_hasInterpreter.Count >= Capacity)
            _hasInterpreter.Clear();
        _hasInterpreter[image] = read;
        return read;
    }

    /// <summary>Reads the program headers of the file at <paramref name="path"/>, if it still has <paramref name="expected"/>'s signature.</summary>
    internal static unsafe bool? Read(string path, in FileSignature expected)
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
            return FileSignature.TryRead(fd, out FileSignature now) == 0 && now == expected ? found : null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    internal readonly record struct Table(long Offset, int Size, int EntrySize);

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
        return new Table((long)offset, size, entrySize);
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
