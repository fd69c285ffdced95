using MicroEnforcer.Interop;
using Org.BouncyCastle.Crypto.Prng;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// BouncyCastle's random source for TLS (client random, key shares, nonces, padding), read
/// straight from the kernel with getrandom(2). BouncyCastle's own default would seed itself
/// through RandomNumberGenerator, which in this static binary reaches OpenSSL (see
/// Native/kernel_random.c); here nothing is seeded or mixed in user space at all.
/// </summary>
internal sealed class KernelRandomGenerator : IRandomGenerator
{
    // Seed material is not needed: every byte comes from the kernel's pool.
    public void AddSeedMaterial(byte[] seed)
    {
    }

    public void AddSeedMaterial(ReadOnlySpan<byte> seed)
    {
    }

    public void AddSeedMaterial(long seed)
    {
    }

    public void NextBytes(byte[] bytes) => NextBytes(bytes.AsSpan());

    public void NextBytes(byte[] bytes, int start, int len) => NextBytes(bytes.AsSpan(start, len));

    public unsafe void NextBytes(Span<byte> bytes)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                nint got = Libc.GetRandom(start + done, (nuint)(bytes.Length - done), 0);
                if (got < 0)
                {
                    int errno = Libc.LastErrno;
                    if (errno == Libc.EINTR)
                        continue;
                    throw new InvalidOperationException($"getrandom: {Libc.DescribeErrno(errno)}");
                }
                done += (int)got;
            }
        }
    }
}
