using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Procfs;

/// <summary>
/// Reads strings and pointer arrays out of another process with process_vm_readv. The caller is
/// blocked in a seccomp notification, but its other threads are not: whatever is read here may be
/// rewritten a moment later, which is why no exec decision rests on it alone (see Tracer).
/// </summary>
internal static class ProcessMemory
{
    private const int PageSize = 4096;
    public const int PathMax = 4096;

    /// <summary>Reads a NUL-terminated string of at most <paramref name="maxBytes"/>, decoded losslessly. errno or 0.</summary>
    public static int TryReadCString(int pid, ulong address, int maxBytes, out string? value)
    {
        int errno = TryReadCBytes(pid, address, maxBytes, out byte[]? bytes);
        value = bytes is null ? null : PathText.Decode(bytes);
        return errno;
    }

    /// <summary>Reads a NUL-terminated byte string (without the NUL) of at most <paramref name="maxBytes"/>. errno or 0.</summary>
    [SkipLocalsInit]   // every exec reads its path here: no zeroed heap page for the collector
    public static int TryReadCBytes(int pid, ulong address, int maxBytes, out byte[]? value)
    {
        value = null;
        if (address == 0)
            return Libc.EFAULT;   // what the kernel answers for a NULL path
        Span<byte> buffer = maxBytes <= PathMax ? stackalloc byte[PathMax] : new byte[maxBytes];
        int filled = 0;
        while (filled < maxBytes)
        {
            // Never cross a page boundary in one read: the next page may be unmapped, and a
            // string that ends before it must still be readable.
            ulong here = address + (ulong)filled;
            int chunk = (int)Math.Min((ulong)(maxBytes - filled), PageSize - (here % PageSize));
            int errno = TryRead(pid, here, buffer.Slice(filled, chunk));
            if (errno != 0)
                return errno;
            int nul = buffer.Slice(filled, chunk).IndexOf((byte)0);
            if (nul >= 0)
            {
                value = buffer[..(filled + nul)].ToArray();
                return 0;
            }
            filled += chunk;
        }
        return Libc.ENAMETOOLONG;
    }

    /// <summary>Reads an argv-style NULL-terminated pointer array and its strings, bounded, shown space-separated.</summary>
    public static string? TryReadArgv(int pid, ulong address, bool pointers32, int maxArgs = 64, int maxBytes = 4096) =>
        TryReadArgvList(pid, address, pointers32, maxArgs, maxBytes) is { } parts ? string.Join(' ', parts) : null;

    /// <summary>The first <paramref name="maxArgs"/> entries of an argv-style pointer array (fewer past <paramref name="maxBytes"/>); null if unreadable.</summary>
    public static List<string>? TryReadArgvList(int pid, ulong address, bool pointers32, int maxArgs, int maxBytes = 4096)
    {
        if (address == 0)
            return null;
        var parts = new List<string>();
        int pointerSize = pointers32 ? 4 : 8;
        Span<byte> pointer = stackalloc byte[8];
        int budget = maxBytes;
        for (int i = 0; i < maxArgs && budget > 0; i++)
        {
            if (TryRead(pid, address + (ulong)(i * pointerSize), pointer[..pointerSize]) != 0)
                return null;
            ulong arg = pointers32 ? BinaryPrimitives.ReadUInt32LittleEndian(pointer) : BinaryPrimitives.ReadUInt64LittleEndian(pointer);
            if (arg == 0)
                break;
            if (TryReadCString(pid, arg, Math.Min(budget, PathMax), out string? part) != 0 || part is null)
                return null;
            parts.Add(part);
            budget -= part.Length + 1;
        }
        return parts;
    }

    /// <summary>Reads exactly destination.Length bytes (within one page or across). errno or 0.</summary>
    public static unsafe int TryRead(int pid, ulong address, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            var local = new Libc.iovec { iov_base = p, iov_len = (nuint)destination.Length };
            var remote = new Libc.iovec { iov_base = (void*)address, iov_len = (nuint)destination.Length };
            nint n = Libc.ProcessVmReadv(pid, &local, 1, &remote, 1, 0);
            if (n < 0)
                return Libc.LastErrno;
            return n == destination.Length ? 0 : Libc.EFAULT;
        }
    }

    /// <summary>Writes all of <paramref name="source"/> into the caller's memory (what a performed call returns through a pointer). errno or 0.</summary>
    public static unsafe int TryWrite(int pid, ulong address, ReadOnlySpan<byte> source)
    {
        fixed (byte* p = source)
        {
            var local = new Libc.iovec { iov_base = p, iov_len = (nuint)source.Length };
            var remote = new Libc.iovec { iov_base = (void*)address, iov_len = (nuint)source.Length };
            nint n = Libc.ProcessVmWritev(pid, &local, 1, &remote, 1, 0);
            if (n < 0)
                return Libc.LastErrno;
            return n == source.Length ? 0 : Libc.EFAULT;
        }
    }
}
