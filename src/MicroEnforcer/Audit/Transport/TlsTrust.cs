using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkix;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace MicroEnforcer.Audit.Transport;

/// <summary>
/// The certificates a sink trusts to issue its server's certificate: those of the sink's
/// <c>caFile</c> (a PEM bundle of one or more certificates) when the policy names one, else the
/// system bundle of the container's image, the first of <see cref="SystemBundles"/> that exists.
/// Read once, and again when the file's modification time or size changes (a rotated CA secret
/// or ConfigMap is picked up without a restart). A file that changed and no longer holds a
/// certificate refuses connections until it does: the old CAs are not trusted on.
/// </summary>
internal sealed class TlsTrust
{
    /// <summary>Debian/Ubuntu/Alpine, then Fedora/RHEL/Amazon Linux, then the BSD/OpenSSL default.</summary>
    public static readonly IReadOnlyList<string> SystemBundles =
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    private readonly Lock _lock = new();
    private (DateTime Modified, long Length) _readVersion;
    private ISet<TrustAnchor> _anchors;

    private TlsTrust(string path, bool isCaFile)
    {
        Path = path;
        IsCaFile = isCaFile;
        (_anchors, _readVersion) = Read(path);
    }

    /// <summary>The bundle's path, as refusals name it.</summary>
    public string Path { get; }

    /// <summary>True for the policy's caFile, false for the system bundle.</summary>
    public bool IsCaFile { get; }

    /// <summary>The sink's trust: <paramref name="caFile"/> when given, else the system bundle.</summary>
    /// <exception cref="IOException">The file cannot be read, holds no certificate, or (without a caFile) no system bundle exists.</exception>
    public static TlsTrust Load(string? caFile)
    {
        if (caFile is not null)
            return new TlsTrust(caFile, isCaFile: true);
        foreach (string bundle in SystemBundles)
        {
            if (File.Exists(bundle))
                return new TlsTrust(bundle, isCaFile: false);
        }
        throw new IOException($"no CA bundle to verify TLS servers with: none of {string.Join(", ", SystemBundles)} exists in this image; name one with caFile");
    }

    /// <summary>"caFile /etc/ca.pem" or "the system bundle /etc/ssl/certs/ca-certificates.crt".</summary>
    public string Description => IsCaFile ? $"caFile {Path}" : $"the system bundle {Path}";

    /// <summary>The trusted certificates now, re-read first if the file changed.</summary>
    public ISet<TrustAnchor> Anchors()
    {
        lock (_lock)
        {
            if (Version(Path) != _readVersion)
                (_anchors, _readVersion) = Read(Path);
            return _anchors;
        }
    }

    private static (ISet<TrustAnchor>, (DateTime, long)) Read(string path)
    {
        // The version before the content: a write in between is seen as a change next time.
        (DateTime, long) version = Version(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"CA bundle {path}: {e.Message}", e);
        }
        IReadOnlyList<X509Certificate> certificates = PemCertificates.Parse(text, path);
        if (certificates.Count == 0)
            throw new IOException($"CA bundle {path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
        var anchors = new HashSet<TrustAnchor>();
        foreach (X509Certificate certificate in certificates)
            anchors.Add(new TrustAnchor(certificate, null));
        return (anchors, version);
    }

    private static (DateTime, long) Version(string path)
    {
        // FileInfo follows symbolic links: a Kubernetes volume's ..data swap changes the target.
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
