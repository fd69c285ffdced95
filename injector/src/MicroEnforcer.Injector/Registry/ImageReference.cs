namespace MicroEnforcer.Injector.Registry;

/// <summary>
/// An image name as a pod spec or task definition writes it, normalised the way Docker does:
/// `nginx` is `docker.io/library/nginx:latest`, whose API host is `registry-1.docker.io`.
/// </summary>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>The tag or digest the manifest is asked for.</summary>
    public string Reference => Digest ?? Tag ?? "latest";

    /// <summary>The host the distribution API is served from.</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    public static ImageReference Parse(string image)
    {
        if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace))
            throw new ImageResolutionException($"'{image}' is not an image reference");
        string rest = image;
        string? digest = null;
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!digest.StartsWith("sha256:", StringComparison.Ordinal) || digest.Length != 71)
                throw new ImageResolutionException($"'{image}': only sha256 digests are supported");
        }
        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }
        string registry = DockerHub;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            string first = rest[..slash];
            // Docker's rule (distribution/reference): the first component is a registry if it looks
            // like a host: a dot, a port, `localhost`, or an upper-case letter (never in a repository).
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost" || first.Any(char.IsUpper))
            {
                registry = first;
                rest = rest[(slash + 1)..];
            }
        }
        if (registry is "index.docker.io" or "registry-1.docker.io")
            registry = DockerHub;
        if (registry == DockerHub && !rest.Contains('/', StringComparison.Ordinal))
            rest = "library/" + rest;
        if (rest.Length == 0)
            throw new ImageResolutionException($"'{image}' has no repository");
        return new(registry, rest, tag ?? (digest is null ? "latest" : null), digest);
    }

    public override string ToString() => $"{Registry}/{Repository}" + (Tag is null ? "" : $":{Tag}") + (Digest is null ? "" : $"@{Digest}");
}
