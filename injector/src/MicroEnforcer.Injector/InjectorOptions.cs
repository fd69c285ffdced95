namespace MicroEnforcer.Injector;

/// <summary>
/// Settings, bound from the `Injector` section of appsettings.json or from environment
/// variables such as `Injector__EnforcerImage` (see injector/README.md).
/// </summary>
public sealed class InjectorOptions
{
    /// <summary>The image the init container (Kubernetes) or sidecar (Fargate) runs; it holds /.microenforcer (Dockerfile.micro).</summary>
    public string EnforcerImage { get; set; } = "ghcr.io/microenforcer/microenforcer:latest";

    /// <summary>Pull policy of the injected init container.</summary>
    public string EnforcerImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>
    /// Platform whose image is resolved from an image index when the pod does not pin one with
    /// a `kubernetes.io/os` / `kubernetes.io/arch` node selector (the node is not known at admission).
    /// </summary>
    public string DefaultPlatform { get; set; } = "linux/amd64";

    /// <summary>Refuse a pod whose images cannot be resolved (default: admit it unmodified with a warning).</summary>
    public bool DenyOnResolveFailure { get; set; }

    /// <summary>Registries (host[:port]) spoken to over plain HTTP instead of HTTPS.</summary>
    public List<string> InsecureRegistries { get; set; } = [];

    /// <summary>How long a tag's digest is trusted before the registry is asked again; configs by digest are cached for good.</summary>
    public int TagCacheSeconds { get; set; } = 300;

    /// <summary>How long a pull secret read from the API server is used before it is read again (0: every review reads it).</summary>
    public int PullSecretCacheSeconds { get; set; } = 30;

    /// <summary>How long "this pull secret does not exist" is believed (at most PullSecretCacheSeconds).</summary>
    public int PullSecretMissingCacheSeconds { get; set; } = 5;

    /// <summary>Audit sinks the injected workloads send their events to (MICROENFORCER_AUDIT_* variables).</summary>
    public AuditSinkOptions Audit { get; set; } = new();

    /// <summary>Budget for resolving all of a pod's images; kept under the webhook's timeoutSeconds (10).</summary>
    public int RegistryTimeoutSeconds { get; set; } = 5;

    /// <summary>Largest AdmissionReview accepted. The API server's own limit on an object is about 3 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>PEM certificate and key, as a kubernetes.io/tls Secret mounts them.</summary>
    public string TlsCertificatePath { get; set; } = "/etc/microenforcer-injector/tls/tls.crt";

    public string TlsKeyPath { get; set; } = "/etc/microenforcer-injector/tls/tls.key";

    /// <summary>How often the certificate files are checked for a new certificate (cert-manager renewals).</summary>
    public int TlsReloadSeconds { get; set; } = 10;

    /// <summary>HTTPS port of the webhook.</summary>
    public int Port { get; set; } = 8443;

    /// <summary>
    /// The one address the webhook listens on (IPv4 `10.0.0.5`, IPv6 `fd00::5` or `[fd00::5]`);
    /// empty: every interface, IPv4 and IPv6. Also `--listen-address ADDR`.
    /// </summary>
    public string ListenAddress { get; set; } = "";

    /// <summary>Registries Allowed, Block Unregistered Images, Block Non-compliant Images, Volumes Blocked (all off by default).</summary>
    public ImageControls.ImageControlsOptions ImageControls { get; set; } = new();
}
