using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Kubernetes;

namespace MicroEnforcer.Injector.Registry;

/// <summary>
/// The image configs of a pod's containers that have no `command`, resolved together within the
/// registry budget, with the pod's imagePullSecrets (which by admission time also hold the
/// service account's) and the platform its node selector pins, or the configured default.
/// </summary>
/// <param name="time">The pull secret cache's clock (tests advance a fake one).</param>
public sealed class ImageConfigResolver(IImageConfigSource registry, IKubernetesApi kubernetes, InjectorOptions options, TimeProvider? time = null)
{
    private readonly Platform _defaultPlatform = Platform.Parse(options.DefaultPlatform);

    /// <summary>The pods' pull secrets, read from the API server at most once per namespace/name and TTL.</summary>
    public PullSecretCache PullSecrets { get; } = new(kubernetes, options, time ?? TimeProvider.System);

    /// <summary>Configs by container index; an exception naming the container and the reason otherwise.</summary>
    /// <param name="known">Images already looked up for this pod (by the image controls): not asked again, and
    /// a failure there is this image's failure, so a slow registry costs one budget, not two.</param>
    public async Task<IReadOnlyDictionary<int, ImageConfig>> ResolveAsync(JsonObject pod, string ns, IReadOnlyList<int> containerIndexes, CancellationToken cancel,
        IReadOnlyDictionary<string, ImageLookup>? known = null)
    {
        if (containerIndexes.Count == 0)
            return new Dictionary<int, ImageConfig>();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        budget.CancelAfter(TimeSpan.FromSeconds(options.RegistryTimeoutSeconds));

        DockerConfig credentials;
        try
        {
            credentials = await PullSecretsAsync(pod, ns, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
        {
            // The budget, or the API client's own timeout: a resolution failure, not the caller's abort.
            throw new ImageResolutionException($"reading the pod's pull secrets took too long: {e.Message}", e);
        }
        Platform platform = PlatformOf(pod);
        var containers = (JsonArray)pod["spec"]!["containers"]!;
        var tasks = containerIndexes.Select(async i =>
        {
            string name = containers[i]?["name"]?.GetValue<string>() ?? $"#{i}";
            string image = containers[i]?["image"]?.GetValue<string>()
                ?? throw new ImageResolutionException($"container {name} has no image");
            try
            {
                ImageConfig config = known?.GetValueOrDefault(image) is { } lookup
                    ? lookup.Config ?? throw new ImageResolutionException(lookup.Error ?? $"{image} was not resolved")
                    : await registry.ResolveAsync(image, platform, credentials, budget.Token).ConfigureAwait(false);
                bool hasArgs = containers[i]?["args"] is JsonArray { Count: > 0 };
                if (config.Entrypoint is not { Count: > 0 } && !hasArgs && config.Cmd is not { Count: > 0 })
                    throw new ImageResolutionException($"{image} has neither ENTRYPOINT nor CMD, and the container gives neither command nor args");
                return (i, config);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new ImageResolutionException($"container {name}: resolving {image} took longer than {options.RegistryTimeoutSeconds} s");
            }
            catch (ImageResolutionException e)
            {
                throw new ImageResolutionException($"container {name}: {e.Message}", e);
            }
            catch (Exception e) when (IsUnexpectedData(e))
            {
                // A registry answer of an unexpected shape (a field of the wrong JSON type, an
                // unparseable reference): this image cannot be resolved; the request itself is fine.
                throw new ImageResolutionException($"container {name}: resolving {image}: {e.Message}", e);
            }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (ImageResolutionException)
        {
            // Report the first container (in pod order) that failed, not whichever failed first.
            throw tasks.First(t => t.IsFaulted).Exception!.InnerException!;
        }
        return tasks.Select(t => t.Result).ToDictionary(r => r.i, r => r.config);
    }

    /// <summary>
    /// Each of IMAGES (of any of the pod's containers, init and ephemeral ones too) with the pod's
    /// pull secrets and platform, within one registry budget: a config or the reason there is
    /// none, never an exception, so every image's answer is known (the image controls report all).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, ImageLookup>> LookUpAsync(JsonObject pod, string ns, IReadOnlyCollection<string> images, CancellationToken cancel)
    {
        var result = new Dictionary<string, ImageLookup>(StringComparer.Ordinal);
        if (images.Count == 0)
            return result;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        budget.CancelAfter(TimeSpan.FromSeconds(options.RegistryTimeoutSeconds));
        DockerConfig credentials;
        try
        {
            credentials = await PullSecretsAsync(pod, ns, budget.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ImageResolutionException || (e is OperationCanceledException && !cancel.IsCancellationRequested))
        {
            string reason = e is ImageResolutionException ? e.Message : $"reading the pod's pull secrets took too long: {e.Message}";
            return images.ToDictionary(i => i, _ => new ImageLookup(null, reason), StringComparer.Ordinal);
        }
        Platform platform = PlatformOf(pod);
        var lookups = images.Select(async image =>
        {
            try
            {
                return (image, new ImageLookup(await registry.ResolveAsync(image, platform, credentials, budget.Token).ConfigureAwait(false), null));
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return (image, new ImageLookup(null, $"resolving {image} took longer than {options.RegistryTimeoutSeconds} s"));
            }
            catch (Exception e) when (e is ImageResolutionException || IsUnexpectedData(e))
            {
                return (image, new ImageLookup(null, e.Message));
            }
        }).ToList();
        foreach (var (image, lookup) in await Task.WhenAll(lookups).ConfigureAwait(false))
            result[image] = lookup;
        return result;
    }

    public Platform PlatformOf(JsonObject pod)
    {
        var selector = pod["spec"]?["nodeSelector"] as JsonObject;
        string? os = selector?["kubernetes.io/os"]?.GetValue<string>();
        string? arch = selector?["kubernetes.io/arch"]?.GetValue<string>();
        if (os is null && arch is null)
            return _defaultPlatform;
        return new Platform(os ?? _defaultPlatform.Os, arch ?? _defaultPlatform.Architecture, arch is null ? _defaultPlatform.Variant : null);
    }

    /// <summary>Malformed data from outside (a secret, a registry): JSON that does not parse or has a field of
    /// the wrong type (InvalidOperationException from System.Text.Json), bad base64, a bad reference.</summary>
    private static bool IsUnexpectedData(Exception e) =>
        e is System.Text.Json.JsonException or FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException or OverflowException;

    private async Task<DockerConfig> PullSecretsAsync(JsonObject pod, string ns, CancellationToken cancel)
    {
        if (pod["spec"]?["imagePullSecrets"] is not JsonArray { Count: > 0 } secrets)
            return DockerConfig.Empty;
        var configs = new List<DockerConfig>();
        foreach (string name in secrets.Select(s => s?["name"]?.GetValue<string>()).OfType<string>())
        {
            string? json;
            try
            {
                json = await PullSecrets.GetAsync(ns, name, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || IsUnexpectedData(e))
            {
                throw new ImageResolutionException($"reading pull secret {ns}/{name}: {e.Message}", e);
            }
            // A missing pull secret does not stop the kubelet either: it tries the others, then anonymously.
            if (json is null)
                continue;
            try
            {
                configs.Add(DockerConfig.Parse(json));
            }
            catch (Exception e) when (IsUnexpectedData(e))
            {
                throw new ImageResolutionException($"pull secret {ns}/{name} is not a valid docker config: {e.Message}", e);
            }
        }
        return DockerConfig.Merge(configs);
    }
}
