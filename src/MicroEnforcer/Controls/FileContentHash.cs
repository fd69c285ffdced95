using System.Buffers;
using MicroEnforcer.Baseline;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Controls;

/// <summary>
/// The SHA-256 of a regular file up to a size, for File Integrity Monitoring's before and after,
/// or why there is none. The final component is not followed: the path given is already the one
/// the call acts on (a symlink itself, for lchown). Bounded: a file that grows past the limit
/// while it is read is not hashed.
/// </summary>
internal static class FileContentHash
{
    public readonly record struct Result(string? Sha256, string? Note);

    public static unsafe Result Of(string path, int maxBytes)
    {
        if (NativePath.Statx(path, Libc.AT_SYMLINK_NOFOLLOW, out Libc.statx st) != 0)
            return new(null, Libc.LastErrno == Libc.ENOENT ? "absent" : $"unreadable (errno {Libc.LastErrno})");
        if ((st.stx_mode & Libc.S_IFMT) != Libc.S_IFREG)
            return new(null, "not a regular file");
        if (maxBytes == 0)
            return new(null, "hashing off (maxHashBytes: 0)");
        if (st.stx_size > (ulong)maxBytes)
            return new(null, $"larger than maxHashBytes ({st.stx_size} > {maxBytes} bytes)");
        int fd = NativePath.Open(path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
            return new(null, $"unreadable (errno {Libc.LastErrno})");
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var sha = new Sha256();
            long total = 0;
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Libc.Read(fd, p, (nuint)buffer.Length);
                    if (n < 0 && Libc.LastErrno == Libc.EINTR)
                        continue;
                    if (n < 0)
                        return new(null, $"unreadable (errno {Libc.LastErrno})");
                    if (n == 0)
                        break;
                    total += n;
                    if (total > maxBytes)
                        return new(null, $"grew past maxHashBytes ({maxBytes} bytes) while it was read");
                    sha.Append(buffer.AsSpan(0, (int)n));
                }
            }
            Span<byte> digest = stackalloc byte[Sha256.HashSizeInBytes];
            sha.GetHashAndReset(digest);
            return new(Convert.ToHexStringLower(digest), null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Libc.Close(fd);
        }
    }
}
