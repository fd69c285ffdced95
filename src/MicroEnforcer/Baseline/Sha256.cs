using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace MicroEnforcer.Baseline;

/// <summary>
/// Managed, incremental SHA-256 (FIPS 180-4). The shipped binary is a fully static Native-AOT
/// executable running without libc or OpenSSL, so System.Security.Cryptography.SHA256 (which
/// needs OpenSSL on Linux) is not available to it. Plain scalar code: .NET 9 has no SHA-NI
/// intrinsics. An instance is not thread-safe; it can be reused after
/// <see cref="GetHashAndReset"/>.
/// </summary>
internal sealed class Sha256
{
    /// <summary>Size of a SHA-256 digest in bytes.</summary>
    public const int HashSizeInBytes = 32;

    private const int BlockSizeInBytes = 64;
    private const int StreamChunkSize = 64 * 1024;

    private readonly uint[] _state = new uint[8];
    private readonly byte[] _pending = new byte[BlockSizeInBytes];
    private int _pendingLength;
    private ulong _totalBytes;

    public Sha256() => InitialState.CopyTo(_state);

    /// <summary>Feeds <paramref name="data"/> into the running hash.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _totalBytes += (ulong)data.Length;

        if (_pendingLength > 0)
        {
            int take = Math.Min(BlockSizeInBytes - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < BlockSizeInBytes)
            {
                return;
            }

            ProcessBlocks(_state, _pending);
            _pendingLength = 0;
        }

        int whole = data.Length & ~(BlockSizeInBytes - 1);
        if (whole > 0)
        {
            ProcessBlocks(_state, data[..whole]);
            data = data[whole..];
        }

        if (!data.IsEmpty)
        {
            data.CopyTo(_pending);
            _pendingLength = data.Length;
        }
    }

    /// <summary>
    /// Writes the digest of everything appended so far to the first 32 bytes of
    /// <paramref name="destination"/> and resets the instance to its initial state.
    /// </summary>
    public void GetHashAndReset(Span<byte> destination)
    {
        ValidateDestination(destination);
        Finish(_state, _pending.AsSpan(0, _pendingLength), _totalBytes, destination);
        Reset();
    }

    /// <summary>Discards everything appended so far.</summary>
    public void Reset()
    {
        InitialState.CopyTo(_state);
        _pending.AsSpan().Clear();
        _pendingLength = 0;
        _totalBytes = 0;
    }

    /// <summary>One-shot hash of <paramref name="data"/> into the first 32 bytes of <paramref name="destination"/>. Does not allocate.</summary>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        ValidateDestination(destination);
        Span<uint> state = stackalloc uint[8];
        InitialState.CopyTo(state);

        int whole = data.Length & ~(BlockSizeInBytes - 1);
        ProcessBlocks(state, data[..whole]);
        Finish(state, data[whole..], (ulong)data.Length, destination);
    }

    /// <summary>One-shot hash of <paramref name="data"/>.</summary>
    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        byte[] hash = new byte[HashSizeInBytes];
        HashData(data, hash);
        return hash;
    }

    /// <summary>
    /// Hashes <paramref name="stream"/> from its current position to its end, reading in 64 KiB
    /// chunks through one pooled buffer. The stream is not disposed.
    /// </summary>
    public static byte[] HashStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(StreamChunkSize);
        try
        {
            var sha = new Sha256();
            int read;
            while ((read = stream.Read(buffer, 0, StreamChunkSize)) > 0)
            {
                sha.Append(buffer.AsSpan(0, read));
            }

            byte[] hash = new byte[HashSizeInBytes];
            sha.GetHashAndReset(hash);
            return hash;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ValidateDestination(Span<byte> destination)
    {
        if (destination.Length < HashSizeInBytes)
        {
            throw new ArgumentException("The destination must hold at least 32 bytes.", nameof(destination));
        }
    }

    /// <summary>Pads the final partial block (<paramref name="tail"/>, under 64 bytes), compresses it and writes the digest.</summary>
    private static void Finish(Span<uint> state, ReadOnlySpan<byte> tail, ulong totalBytes, Span<byte> destination)
    {
        Span<byte> last = stackalloc byte[2 * BlockSizeInBytes];
        last.Clear();
        tail.CopyTo(last);
        last[tail.Length] = 0x80;

        // The 64-bit message length in bits must fit after the 0x80 marker: one block if the tail
        // leaves at least 9 bytes free, two otherwise.
        int length = tail.Length < BlockSizeInBytes - 8 ? BlockSizeInBytes : 2 * BlockSizeInBytes;
        BinaryPrimitives.WriteUInt64BigEndian(last.Slice(length - 8), totalBytes << 3);
        ProcessBlocks(state, last[..length]);

        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(i * 4), state[i]);
        }
    }

    /// <summary>The compression function over whole 64-byte blocks (<paramref name="data"/>'s length is a multiple of 64).</summary>
    private static void ProcessBlocks(Span<uint> state, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<uint> k = RoundConstants;
        Span<uint> w = stackalloc uint[64];

        uint h7 = state[7], h6 = state[6], h5 = state[5], h4 = state[4];
        uint h3 = state[3], h2 = state[2], h1 = state[1], h0 = state[0];

        while (data.Length >= BlockSizeInBytes)
        {
            for (int i = 0; i < 16; i++)
            {
                w[i] = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i * 4));
            }

            for (int i = 16; i < 64; i++)
            {
                uint w15 = w[i - 15];
                uint w2 = w[i - 2];
                uint s0 = BitOperations.RotateRight(w15, 7) ^ BitOperations.RotateRight(w15, 18) ^ (w15 >> 3);
                uint s1 = BitOperations.RotateRight(w2, 17) ^ BitOperations.RotateRight(w2, 19) ^ (w2 >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
            }

            uint a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;

            for (int i = 0; i < 64; i++)
            {
                uint bigSigma1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25);
                uint ch = g ^ (e & (f ^ g));
                uint t1 = h + bigSigma1 + ch + k[i] + w[i];
                uint bigSigma0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22);
                uint maj = (a & b) | (c & (a | b));
                uint t2 = bigSigma0 + maj;

                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }

            h0 += a;
            h1 += b;
            h2 += c;
            h3 += d;
            h4 += e;
            h5 += f;
            h6 += g;
            h7 += h;

            data = data[BlockSizeInBytes..];
        }

        state[0] = h0;
        state[1] = h1;
        state[2] = h2;
        state[3] = h3;
        state[4] = h4;
        state[5] = h5;
        state[6] = h6;
        state[7] = h7;
    }

    // FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the
    // first eight primes. A ReadOnlySpan over a constant literal: no static array initialisation.
    private static ReadOnlySpan<uint> InitialState =>
    [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];

    // FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
    // sixty-four primes.
    private static ReadOnlySpan<uint> RoundConstants =>
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];
}
