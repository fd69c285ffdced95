// The kernel's randomness behind .NET's RandomNumberGenerator, in this static binary.
//
// Why this exists: BouncyCastle (the managed TLS of the audit sinks, Audit/Transport) seeds its
// own generators with System.Security.Cryptography.RandomNumberGenerator.Fill in places no caller
// can steer: SecureRandom's static constructor seeds SecureRandom.ArbitraryRandom, which blinds
// every elliptic-curve point normalisation (so every ECDHE on P-256 or P-384), and
// CryptoServicesRegistrar.GetSecureRandom() seeds a fresh generator for the Miller-Rabin check of
// every RSA public key it parses (so every server with an RSA certificate). On Linux, .NET answers
// Fill through OpenSSL's RAND_bytes, reached through its shim
// (libSystem.Security.Cryptography.Native.OpenSsl.a, linked into every Native-AOT binary), which
// dlopens libssl.so: a fully static executable cannot, and the process dies with SIGSEGV.
// Measured with static AOT builds of these sources: RandomNumberGenerator.Fill alone exits 139;
// without this file a handshake with an RSA certificate, or with ECDHE on P-256 or P-384, exits
// 139 too (X25519 with an ECDSA certificate happens not to get there); with it, all of them work.
//
// The shim's entry points that RandomNumberGenerator.Fill reaches are replaced at link time:
// the csproj links with `--wrap=CryptoNative_X` for each of them, which makes every call to
// CryptoNative_X land on __wrap_CryptoNative_X below. (Defining CryptoNative_X here instead
// works only as long as nothing else pulls the shim's openssl.c.o into the link; SocketsHttpHandler
// does, and lld then refuses the duplicate definitions.) The rest of the shim stays as it is and
// still cannot work in this binary, which is why System.Security.Cryptography and SslStream stay
// forbidden here.
//
// Signatures: dotnet/runtime src/native/libs/System.Security.Cryptography.Native
// (openssl.c, pal_err.c, pal_evp.c).

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

// Interop.Crypto's static constructor: 0 = the library is ready.
int32_t __wrap_CryptoNative_EnsureOpenSslInitialized(void)
{
    return 0;
}

// Interop.Crypto's static field EVP_MAX_MD_SIZE (OpenSSL's value).
int32_t __wrap_CryptoNative_GetMaxMdSize(void)
{
    return 64;
}

// RandomNumberGenerator.Fill: 1 when the buffer is full. getrandom(2) without flags blocks only
// until the kernel's pool is initialised once after boot, and returns at most 32 MiB per call.
int32_t __wrap_CryptoNative_GetRandomBytes(uint8_t* buffer, int32_t length)
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
uint64_t __wrap_CryptoNative_ErrGetExceptionError(int32_t* isAllocFailure)
{
    *isAllocFailure = 0;
    return (uint64_t)errno;
}

void __wrap_CryptoNative_ErrErrorStringN(uint64_t error, char* buffer, int32_t length)
{
    if (length > 0)
        snprintf(buffer, (size_t)length, "getrandom(2) failed (errno %llu)", (unsigned long long)error);
}

// Guid.NewGuid and the runtime's other secure random bytes (System.Native's pal_random.c): 0 when
// the buffer is full, -1 otherwise. .NET's own version reads /dev/urandom (the static binary is
// built without arc4random), and an image may not have it: building a sink's Polly pipeline
// reaches Guid.NewGuid (option validation -> TypeDescriptor), and PID 1 died at start with a
// CryptographicException in a container without /dev/urandom (IntegrationTests:
// AuditSinkTests.ANetworkSink_DoesNotNeedDevUrandom). getrandom(2) needs no file.
int32_t __wrap_SystemNative_GetCryptographicallySecureRandomBytes(uint8_t* buffer, int32_t length)
{
    return __wrap_CryptoNative_GetRandomBytes(buffer, length) == 1 ? 0 : -1;
}
