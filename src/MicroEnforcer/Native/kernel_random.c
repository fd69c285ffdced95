// The kernel's randomness behind .NET's RandomNumberGenerator, in this static binary.
//
// Why this exists: BouncyCastle (the managed TLS of the audit sinks, Audit/Transport) seeds its
// own generators with System.Security.Cryptography.RandomNumberGenerator.Fill in places no caller
// can steer: SecureRandom's static constructor seeds SecureRandom.ArbitraryRandom (touched by every
// elliptic-curve point normalisation, so by every ECDSA verification and NIST-curve ECDHE), and
// CryptoServicesRegistrar.GetSecureRandom() seeds a fresh generator for the Miller-Rabin check of
// every RSA public key it parses. On Linux, .NET answers Fill through OpenSSL's RAND_bytes, reached
// through its shim (libSystem.Security.Cryptography.Native.OpenSsl.a, linked into every Native-AOT
// binary), which dlopens libssl.so: a fully static executable cannot, and the process dies with
// SIGSEGV (measured: a static AOT program calling RandomNumberGenerator.Fill exits 139).
//
// The shim's entry points that RandomNumberGenerator.Fill reaches are defined here instead, on
// getrandom(2). lld takes a symbol from an archive member only when no object defines it, so the
// shim's openssl.c.o is never linked. Were other code ever to use more of
// System.Security.Cryptography (which the house rules forbid in this binary), the link fails
// with a duplicate symbol rather than the binary crashing at run time.
//
// Signatures: dotnet/runtime src/native/libs/System.Security.Cryptography.Native
// (openssl.c, pal_err.c, pal_evp.c).

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

// Interop.Crypto's static constructor: 0 = the library is ready.
int32_t CryptoNative_EnsureOpenSslInitialized(void)
{
    return 0;
}

// Interop.Crypto's static field EVP_MAX_MD_SIZE (OpenSSL's value).
int32_t CryptoNative_GetMaxMdSize(void)
{
    return 64;
}

// RandomNumberGenerator.Fill: 1 when the buffer is full. getrandom(2) without flags blocks only
// until the kernel's pool is initialised once after boot, and returns at most 32 MiB per call.
int32_t CryptoNative_GetRandomBytes(uint8_t* buffer, int32_t length)
{
    while (length > 0)
    {
        ssize_t got = getrandom(buffer, (size_t)length, 0);
        if (got < 0)
        {
            if (errno == EINTR)
                continue;
            return 0;
        }
        buffer += got;
        length -= (int32_t)got;
    }
    return 1;
}

// The error path after a failed GetRandomBytes builds its CryptographicException from these.
uint64_t CryptoNative_ErrGetExceptionError(int32_t* isAllocFailure)
{
    *isAllocFailure = 0;
    return (uint64_t)errno;
}

void CryptoNative_ErrErrorStringN(uint64_t error, char* buffer, int32_t length)
{
    if (length > 0)
        snprintf(buffer, (size_t)length, "getrandom(2) failed (errno %llu)", (unsigned long long)error);
}
