using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// The Registries Allowed list, compared with image references normalised as container runtimes
/// do (<see cref="ImageReference.Parse"/>): no registry is `docker.io`, `index.docker.io` and
/// `registry-1.docker.io` are `docker.io`, a single name on Docker Hub is under `library/`.
/// Hosts compare case-insensitively; a port is part of the name (`host` and `host:443` are two
/// registries to a runtime, so to this list too). An entry with a path allows only repositories
/// under it, by whole components: `ghcr.io/acme` allows `ghcr.io/acme/app`, not `ghcr.io/acme-evil/app`.
/// </summary>
public sealed class AllowedRegistries
{
    private readonly List<(string Host, string? Path)> _entries;

    public AllowedRegistries(IEnumerable<string> entries) => _entries = [.. entries.Where(e => !string.IsNullOrWhiteSpace(e)).Select(Normalise)];

    public bool Allows(ImageReference image) => _entries.Any(e =>
        string.Equals(e.Host, image.Registry, StringComparison.OrdinalIgnoreCase)
        && (e.Path is null || image.Repository == e.Path || image.Repository.StartsWith(e.Path + "/", StringComparison.Ordinal)));

    /// <summary>The list as it is compared, for messages.</summary>
    public string Describe() => _entries.Count == 0 ? "(none)" : string.Join(", ", _entries.Select(e => e.Path is null ? e.Host : $"{e.Host}/{e.Path}"));

    /// <summary>`https://Index.Docker.io/v1/` is `docker.io`; a scheme, trailing slashes and Docker Hub's `/v1` are dropped.</summary>
    internal static (string Host, string? Path) Normalise(string entry)
    {
        string text = entry.Trim();
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            text = text[(scheme + 3)..];
        text = text.TrimEnd('/');
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string host = (slash < 0 ? text : text[..slash]).ToLowerInvariant();
        string? path = slash < 0 ? null : text[(slash + 1)..].Trim('/');
        if (host is "index.docker.io" or "registry-1.docker.io")
            host = ImageReference.DockerHub;
        if (host == ImageReference.DockerHub && path == "v1")
            path = null; // the docker config spelling https://index.docker.io/v1/
        return (host, string.IsNullOrEmpty(path) ? null : path);
    }
}
