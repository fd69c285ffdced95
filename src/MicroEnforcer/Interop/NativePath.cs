using System.Runtime.CompilerServices;
using System.Text;

namespace MicroEnforcer.Interop;

/// <summary>
/// Path syscalls for the lossless path strings of <see cref="PathText"/>: the string is encoded
/// back to the exact bytes of the name, never re-encoded as UTF-8 text.
/// </summary>
internal static class NativePath
{
    // The /proc paths of every exec check fit here; longer ones are encoded on the heap.
    private const int StackPath = 256;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [SkipLocalsInit]
    public static unsafe int Open(string path, int flags)
    {
        fixed (byte* p = Terminated(path, stackalloc byte[StackPath]))
            return Libc.Open(p, flags, 0);
    }

    [SkipLocalsInit]
    public static unsafe int OpenAt(int dirFd, string path, int flags)
    {
        fixed (byte* p = Terminated(path, stackalloc byte[StackPath]))
            return Libc.OpenAt(dirFd, p, flags, 0);
    }

    /// <summary>What statx is asked for: the basic stats, and the mount (what a file's signature is made of; 0 where not asked).</summary>
    internal const uint StatxMask = Libc.STATX_BASIC_STATS | Libc.STATX_MNT_ID;

    /// <summary>statx of a path, with what a file signature needs (<see cref="StatxMask"/>).</summary>
    [SkipLocalsInit]
    public static unsafe int Statx(string path, int flags, out Libc.statx st)
    {
        fixed (byte* p = Terminated(path, stackalloc byte[StackPath]))
        fixed (Libc.statx* s = &st)
            return Libc.Statx(Libc.AT_FDCWD, p, flags, StatxMask, s);
    }

    /// <summary>readlink(2), decoded losslessly; null on error. Two of these are on every exec's
    /// path: the buffer is on the stack, not a zeroed 4 KiB array for the collector.</summary>
    [SkipLocalsInit]
    public static unsafe string? ReadLink(string path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        fixed (byte* p = Terminated(path, stackalloc byte[StackPath]))
        fixed (byte* b = buffer)
        {
            nint n = Libc.ReadLink(p, b, (nuint)buffer.Length);
            return n < 0 ? null : PathText.Decode(buffer[..(int)n]);
        }
    }

    /// <summary>
    /// openat2(dirFd, path, O_PATH, RESOLVE_NO_MAGICLINKS [| RESOLVE_IN_ROOT]). Returns the fd or
    /// -errno. On kernels before 5.6 (no openat2) falls back to openat, magic links and all.
    /// </summary>
    public static int OpenBeneath(int dirFd, ReadOnlySpan<byte> path, bool inRoot, bool noFollow) =>
        OpenAt2(dirFd, path, Libc.O_PATH | Libc.O_CLOEXEC | (noFollow ? Libc.O_NOFOLLOW : 0),
            Libc.RESOLVE_NO_MAGICLINKS | (inRoot ? Libc.RESOLVE_IN_ROOT : 0));

    /// <summary>
    /// Opens a directory at <paramref name="path"/> beneath <paramref name="dirFd"/> for listing,
    /// following no symlink and leaving no mount. Returns the fd or a negative errno. Before
    /// Linux 5.6, openat with O_NOFOLLOW, which guards the last component only.
    /// </summary>
    public static int OpenDirectoryBeneath(int dirFd, ReadOnlySpan<byte> path) =>
        OpenAt2(dirFd, path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC,
            Libc.RESOLVE_NO_XDEV | Libc.RESOLVE_NO_SYMLINKS | Libc.RESOLVE_BENEATH);

    // openat2 with the given resolve flags; where the kernel has no openat2 (ENOSYS), openat.
    [SkipLocalsInit]
    private static unsafe int OpenAt2(int dirFd, ReadOnlySpan<byte> path, int flags, ulong resolve)
    {
        Span<byte> terminated = path.Length < 4096 ? stackalloc byte[4096] : new byte[path.Length + 1];
        path.CopyTo(terminated);
        terminated[path.Length] = 0;
        var how = new Libc.open_how { flags = (ulong)flags, resolve = resolve };
        fixed (byte* p = terminated)
        {
            long fd = Libc.Syscall4(Libc.SYS_openat2, dirFd, p, &how, sizeof(Libc.open_how));
            if (fd >= 0)
                return (int)fd;
            int errno = Libc.LastErrno;
            if (errno != Libc.ENOSYS)
                return -errno;
            int fallback = Libc.OpenAt(dirFd, p, flags, 0);
            return fallback >= 0 ? fallback : -Libc.LastErrno;
        }
    }

    // The path's bytes and a NUL: in <paramref name="stack"/> when it is plain UTF-8 that fits
    // (every /proc path), else through PathText on the heap (escaped bytes, long paths).
    private static ReadOnlySpan<byte> Terminated(string path, Span<byte> stack)
    {
        if (path.Length < stack.Length / 3 && !path.AsSpan().ContainsAnyInRange((char)0xDC80, (char)0xDCFF))
        {
            int length = Strict.GetBytes(path, stack);
            stack[length] = 0;
            return stack[..(length + 1)];
        }
        byte[] encoded = PathText.Encode(path);
        Array.Resize(ref encoded, encoded.Length + 1);
        return encoded;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> bytes from the start of the file open as
    /// <paramref name="pathFd"/> (an O_PATH descriptor is enough), read through a new descriptor
    /// opened from /proc/self/fd: the very file, not whatever its path names now. Null with the errno on failure.
    /// </summary>
    public static unsafe byte[]? ReadReopened(int pathFd, int limit, out int errno)
    {
        errno = 0;
        int fd = Open($"/proc/self/fd/{pathFd}", Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            errno = Libc.LastErrno;
            return null;
        }
        try
        {
            byte[] content = new byte[limit];
            int total = 0;
            fixed (byte* p = content)
            {
                while (total < limit)
                {
                    nint n = Libc.PRead(fd, p + total, (nuint)(limit - total), total);
                    if (n < 0 && Libc.LastErrno == Libc.EINTR)
                        continue;
                    if (n < 0)
                    {
                        errno = Libc.LastErrno;
                        return null;
                    }
                    if (n == 0)
                        break;
                    total += (int)n;
                }
            }
            return content[..total];
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
