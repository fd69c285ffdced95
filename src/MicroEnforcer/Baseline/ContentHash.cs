using MicroEnforcer.Interop;

namespace MicroEnforcer.Baseline;

/// <summary>A SHA-256 of a file's content.</summary>
internal sealed class ContentHash : IEquatable<ContentHash>
{
    private readonly byte[] _digest;

    private ContentHash(byte[] digest) => _digest = digest;

    public bool Equals(ContentHash? other) => other is not null && _digest.AsSpan().SequenceEqual(other._digest);

    public override bool Equals(object? obj) => Equals(obj as ContentHash);

    public override int GetHashCode() => BitConverter.ToInt32(_digest, 0);

    public override string ToString() => Convert.ToHexStringLower(_digest);

    /// <summary>Hashes an open, readable file from its start. Returns an errno or 0.</summary>
    public static unsafe int TryCompute(int fd, out ContentHash? hash)
    {
        hash = null;
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
        byte[] digest = new byte[32];
        sha.GetHashAndReset(digest);
        hash = new ContentHash(digest);
        return 0;
    }

    /// <summary>Opens <paramref name="path"/> (a /proc magic link is fine) and hashes it.</summary>
    public static int TryCompute(string path, out ContentHash? hash)
    {
        hash = null;
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
