namespace MicroEnforcer.Injector.Registry;

/// <summary>
/// What the injector needs of an image's configuration: its ENTRYPOINT and CMD (injection), its
/// User and Labels and the digests the reference resolved to (image controls).
/// </summary>
/// <param name="ConfigDigest">Digest of the config blob these came from.</param>
/// <param name="User">The config's `User` (`""` when unset: root).</param>
/// <param name="Digest">The manifest digest the reference resolved to: the image index's for a
/// multi-platform image, what `skopeo inspect` and a pod's imageID show.</param>
/// <param name="PlatformDigest">The platform's own manifest digest (equal to Digest without an index).</param>
public sealed record ImageConfig(IReadOnlyList<string>? Entrypoint, IReadOnlyList<string>? Cmd, string ConfigDigest,
    string? User = null, IReadOnlyDictionary<string, string>? Labels = null, string? Digest = null, string? PlatformDigest = null);

/// <summary>An OCI platform (`linux/arm64/v8`).</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public static Platform Parse(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(string.IsNullOrWhiteSpace))
            throw new FormatException($"platform '{text}' is not os/arch[/variant]");
        return new(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}

/// <summary>Resolution failed; the message says why, for the log and the admission warning.</summary>
public sealed class ImageResolutionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Where image configs come from: the registry (<see cref="RegistryClient"/>), or a table in tests of the pure parts.</summary>
public interface IImageConfigSource
{
    Task<ImageConfig> ResolveAsync(string image, Platform platform, DockerConfig credentials, CancellationToken cancel);
}
