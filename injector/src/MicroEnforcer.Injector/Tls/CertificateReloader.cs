using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Tls;

/// <summary>
/// The serving certificate, from the PEM files a kubernetes.io/tls Secret mounts, reloaded when
/// their content changes. Polled rather than watched: the kubelet updates a Secret volume by
/// swapping a `..data` symlink, which file watchers on tls.crt do not reliably report. Kestrel
/// asks for the certificate on every TLS handshake, so a renewal takes effect within one poll
/// interval with no restart. A bad new pair (half-written, key not matching) keeps the old one.
/// </summary>
public sealed partial class CertificateReloader : IDisposable
{
    private readonly string _certPath;
    private readonly string _keyPath;
    private readonly ILogger _logger;
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private byte[] _loadedHash = [];
    private X509Certificate2? _current;

    public CertificateReloader(string certPath, string keyPath, TimeSpan interval, ILogger<CertificateReloader> logger)
    {
        _certPath = certPath;
        _keyPath = keyPath;
        _logger = logger;
        if (!TryReload())
            throw new InvalidOperationException($"no usable TLS certificate at {certPath} and {keyPath} (see the log for why)");
        _timer = new Timer(_ => TryReload(), null, interval, interval);
    }

    public X509Certificate2 Current => Volatile.Read(ref _current)!;

    /// <summary>Loads the files if they changed; false when they cannot be loaded (the previous certificate stays).</summary>
    public bool TryReload()
    {
        lock (_lock)
        {
            try
            {
                byte[] cert = File.ReadAllBytes(_certPath);
                byte[] key = File.ReadAllBytes(_keyPath);
                byte[] hash = SHA256.HashData([.. cert, .. key]);
                if (hash.AsSpan().SequenceEqual(_loadedHash))
                    return true;
                var loaded = X509Certificate2.CreateFromPem(System.Text.Encoding.UTF8.GetString(cert), System.Text.Encoding.UTF8.GetString(key));
                Volatile.Write(ref _current, loaded);
                _loadedHash = hash;
                LogLoaded(_logger, loaded.Subject, loaded.Thumbprint, loaded.NotAfter);
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                LogLoadFailed(_logger, e, _certPath, _keyPath, e.Message);
                return false;
            }
        }
    }

    public void Dispose() => _timer?.Dispose();
}
