using System.Buffers.Binary;
using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>
/// A SHA-256 of a file's content. A value, not an object: the baseline holds one per image
/// executable, and 100,000 of them as objects cost 8 MB more than the digests themselves.
/// </summary>
internal readonly record struct ContentHash(ulong Word0, ulong Word1, ulong Word2, ulong Word3)
{
    public override string ToString()
    {
        Span<byte> digest = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(digest, Word0);
        BinaryPrimitives.WriteUInt64BigEndian(digest[8..], Word1);
        BinaryPrimitives.WriteUInt64BigEndian(digest[16..], Word2);
        BinaryPrimitives.WriteUInt64BigEndian(digest[24..], Word3);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Hashes an open, readable file from its start. Returns an errno or 0.</summary>
    public static unsafe int TryCompute(int fd, out ContentHash hash)
    {
        hash = default;
        var sha = new Sha256();
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Libc.Read(fd, p, (nuint)buffer.Length);
                    if (n < 0)
                    {
                        int errno = Libc.LastErrno;
                        if (errno == Libc.EINTR)
                            continue;
                        return errno;
                    }
                    if (n == 0)
                        break;
                    sha.Append(buffer.AsSpan(0, (int)n));
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        hash = new ContentHash(
            BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[16..]), BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));
        return 0;
    }

    /// <summary>Opens <paramref name="path"/> (a /proc magic link is fine) and hashes it.</summary>
    public static int TryCompute(string path, out ContentHash hash)
    {
        hash = default;
        int fd = NativePath.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0)
            return Libc.LastErrno;
        try
        {
            return TryCompute(fd, out hash);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
