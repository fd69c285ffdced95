using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Registry;

/// <summary>
/// Reads an image's ENTRYPOINT and CMD through the OCI distribution API: the manifest (an image
/// index is narrowed to the platform's manifest), then the config blob. Basic auth and the
/// bearer-token flow (`WWW-Authenticate: Bearer realm=...,service=...,scope=...`) with the
/// credentials given. Content fetched by digest is verified against it.
///
/// Caching: a config is cached for good under the manifest (or index) digest and platform, since
/// content under a digest never changes; a tag's digest is trusted for TagCacheSeconds. With both
/// warm, resolving makes no request at all. Both caches are keyed by the credential too (a hash),
/// so an answer obtained with one pull secret is never given to a request without it.
/// </summary>
public sealed class RegistryClient : IImageConfigSource
{
    private const int MaxDocumentBytes = 4 * 1024 * 1024;
    private const int MaxCacheEntries = 10_000;
    private const int MaxTokenEntries = 1_000;

    private static readonly string[] s_manifestTypes =
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ];

    private readonly HttpClient _http;
    private readonly HashSet<string> _insecure;
    private readonly TimeSpan _tagTtl;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ImageConfig> _configByDigest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Digest, DateTimeOffset Expires)> _digestByTag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<ImageConfig>>> _inFlight = new(StringComparer.Ordinal);
    private readonly TimeSpan _fetchTimeout;
    private long _requests;

    public RegistryClient(HttpClient http, InjectorOptions options, TimeProvider? time = null)
    {
        _http = http;
        _insecure = new HashSet<string>(options.InsecureRegistries, StringComparer.OrdinalIgnoreCase);
        _tagTtl = TimeSpan.FromSeconds(options.TagCacheSeconds);
        _fetchTimeout = TimeSpan.FromSeconds(options.RegistryTimeoutSeconds);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>HTTP requests made so far (to registries and token servers): tests read it to see the cache at work.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    public async Task<ImageConfig> ResolveAsync(string image, Platform platform, DockerConfig credentials, CancellationToken cancel)
    {
        ImageReference reference = ImageReference.Parse(image);
        RegistryCredential? credential = credentials.Find(reference.Registry);
        // Cached answers are per credential: a pod without the pull secret must not learn a
        // private image's configuration from another namespace's lookup.
        string who = Identity(credential);
        string tagKey = $"{who}|{reference.Registry}/{reference.Repository}:{reference.Tag}";
        DateTimeOffset now = _time.GetUtcNow();

        string? digest = reference.Digest;
        if (digest is null && _digestByTag.TryGetValue(tagKey, out var known) && known.Expires > now)
            digest = known.Digest;
        if (digest is not null && _configByDigest.TryGetValue($"{who}|{digest}|{platform}", out ImageConfig? cached))
            return cached;

        // One fetch per image, platform and credential at a time: the pods of a Deployment scaled
        // to 100 replicas arrive together, and should cost the registry one lookup, not 100. The
        // shared fetch has its own deadline; each caller waits for it within its own.
        string flightKey = $"{who}|{reference}|{platform}";
        var flight = _inFlight.GetOrAdd(flightKey, key => new Lazy<Task<ImageConfig>>(() => FetchOnceAsync(key, reference, platform, credential, who, tagKey)));
        return await flight.Value.WaitAsync(cancel).ConfigureAwait(false);
    }

    private async Task<ImageConfig> FetchOnceAsync(string flightKey, ImageReference reference, Platform platform, RegistryCredential? credential, string who, string tagKey)
    {
        await Task.Yield(); // never run the fetch inside GetOrAdd's factory
        using var deadline = new CancellationTokenSource(_fetchTimeout);
        try
        {
            return await FetchAsync(reference, platform, credential, who, tagKey, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ImageResolutionException($"{reference}: the registry did not answer within {_fetchTimeout.TotalSeconds} s");
        }
        finally
        {
            _inFlight.TryRemove(flightKey, out _);
        }
    }

    private async Task<ImageConfig> FetchAsync(ImageReference reference, Platform platform, RegistryCredential? credential, string who, string tagKey, CancellationToken cancel)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var (body, manifestDigest) = await GetManifestAsync(reference, reference.Reference, credential, cancel).ConfigureAwait(false);
        if (reference.Digest is null)
            _digestByTag[tagKey] = (manifestDigest, now + _tagTtl);
        string cacheKey = $"{who}|{manifestDigest}|{platform}";
        if (_configByDigest.TryGetValue(cacheKey, out ImageConfig? cached))
            return cached;

        JsonObject manifest = body;
        string platformDigest = manifestDigest;
        if (manifest["manifests"] is JsonArray entries)
        {
            platformDigest = SelectPlatform(entries, platform, reference);
            (manifest, _) = await GetManifestAsync(reference, platformDigest, credential, cancel).ConfigureAwait(false);
        }
        string configDigest = manifest["config"]?["digest"]?.GetValue<string>()
            ?? throw new ImageResolutionException($"{reference}: the manifest has no config (schema 1 manifests are not supported)");
        byte[] configBytes = await GetVerifiedAsync(reference, $"blobs/{configDigest}", configDigest, null, credential, cancel).ConfigureAwait(false);
        JsonObject config = ParseObject(configBytes, reference, "config");
        var result = new ImageConfig(
            Strings(config["config"]?["Entrypoint"]),
            Strings(config["config"]?["Cmd"]),
            configDigest,
            config["config"]?["User"]?.GetValue<string>() ?? "",
            Labels(config["config"]?["Labels"]),
            manifestDigest,
            platformDigest);

        if (_configByDigest.Count > MaxCacheEntries)
            _configByDigest.Clear();
        if (_digestByTag.Count > MaxCacheEntries)
            _digestByTag.Clear();
        _configByDigest[cacheKey] = result;
        return result;
    }

    /// <summary>The credential's identity in cache keys: a hash of username:password, never the username alone
    /// (every ECR pull secret's username is `AWS`).</summary>
    private static string Identity(RegistryCredential? credential) =>
        credential is null ? "anonymous" : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")))[..16];

    private static string SelectPlatform(JsonArray entries, Platform platform, ImageReference reference)
    {
        var candidates = entries.OfType<JsonObject>()
            .Where(e => e["platform"]?["os"]?.GetValue<string>() == platform.Os && e["platform"]?["architecture"]?.GetValue<string>() == platform.Architecture)
            .ToList();
        JsonObject? match = platform.Variant is null
            ? candidates.FirstOrDefault()
            : candidates.FirstOrDefault(e => e["platform"]?["variant"]?.GetValue<string>() == platform.Variant);
        if (match is null)
        {
            string offered = string.Join(", ", entries.OfType<JsonObject>().Select(e =>
                $"{e["platform"]?["os"]}/{e["platform"]?["architecture"]}" + (e["platform"]?["variant"] is { } v ? $"/{v}" : "")));
            throw new ImageResolutionException($"{reference}: the image index has no manifest for {platform} (it has: {offered})");
        }
        return match["digest"]?.GetValue<string>() ?? throw new ImageResolutionException($"{reference}: an image index entry has no digest");
    }

    private async Task<(JsonObject Manifest, string Digest)> GetManifestAsync(ImageReference reference, string tagOrDigest, RegistryCredential? credential, CancellationToken cancel)
    {
        string? expected = tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal) ? tagOrDigest : null;
        var response = await GetAsync(reference, $"manifests/{tagOrDigest}", s_manifestTypes, credential, cancel).ConfigureAwait(false);
        using (response)
        {
            byte[] bytes = await ReadCappedAsync(response, reference, cancel).ConfigureAwait(false);
            string digest = Digest(bytes);
            if (expected is not null && digest != expected)
                throw new ImageResolutionException($"{reference}: manifest {expected} has digest {digest}");
            return (ParseObject(bytes, reference, "manifest"), digest);
        }
    }

    private async Task<byte[]> GetVerifiedAsync(ImageReference reference, string path, string digest, string[]? accept, RegistryCredential? credential, CancellationToken cancel)
    {
        using var response = await GetAsync(reference, path, accept, credential, cancel).ConfigureAwait(false);
        byte[] bytes = await ReadCappedAsync(response, reference, cancel).ConfigureAwait(false);
        if (Digest(bytes) != digest)
            throw new ImageResolutionException($"{reference}: blob {digest} has digest {Digest(bytes)}");
        return bytes;
    }

    /// <summary>A GET with the credentials the registry asks for; a success or an exception.</summary>
    private async Task<HttpResponseMessage> GetAsync(ImageReference reference, string path, string[]? accept, RegistryCredential? credential, CancellationToken cancel)
    {
        string scheme = _insecure.Contains(reference.Registry) ? "http" : "https";
        var uri = new Uri($"{scheme}://{reference.ApiHost}/v2/{reference.Repository}/{path}");
        string scope = $"repository:{reference.Repository}:pull";
        // Keyed by the whole credential: a pull secret with the right username and a wrong password
        // must not be given the token another namespace's secret obtained.
        string tokenKey = $"{reference.ApiHost}|{scope}|{Identity(credential)}";

        AuthenticationHeaderValue? authorization = null;
        if (_tokens.TryGetValue(tokenKey, out var token) && token.Expires > _time.GetUtcNow())
            authorization = new("Bearer", token.Token);

        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            foreach (string type in accept ?? [])
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            request.Headers.Authorization = authorization;
            HttpResponseMessage response;
            try
            {
                Interlocked.Increment(ref _requests);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ImageResolutionException($"{reference}: {uri.GetLeftPart(UriPartial.Authority)} unreachable: {e.Message}", e);
            }
            if (response.IsSuccessStatusCode)
                return response;
            using (response)
            {
                if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
                {
                    string reason = response.StatusCode == HttpStatusCode.Unauthorized
                        ? (credential is null ? "authentication required and no pull secret has credentials for " + reference.Registry : "the credentials for " + reference.Registry + " were refused")
                        : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
                    throw new ImageResolutionException($"{reference}: GET {uri.AbsolutePath}: {reason}");
                }
                AuthenticationHeaderValue? challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
                if (challenge is null)
                    throw new ImageResolutionException($"{reference}: 401 without a WWW-Authenticate challenge");
                if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
                {
                    if (credential is null)
                        throw new ImageResolutionException($"{reference}: authentication required and no pull secret has credentials for {reference.Registry}");
                    authorization = BasicHeader(credential);
                }
                else if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
                {
                    string bearer = await FetchTokenAsync(reference, uri, challenge.Parameter ?? "", scope, credential, tokenKey, cancel).ConfigureAwait(false);
                    authorization = new("Bearer", bearer);
                }
                else
                {
                    throw new ImageResolutionException($"{reference}: unsupported authentication scheme {challenge.Scheme}");
                }
            }
        }
    }

    private async Task<string> FetchTokenAsync(ImageReference reference, Uri registryUri, string challenge, string scope, RegistryCredential? credential, string tokenKey, CancellationToken cancel)
    {
        Dictionary<string, string> parameters = ParseChallenge(challenge);
        if (!parameters.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out Uri? realmUri))
            throw new ImageResolutionException($"{reference}: bearer challenge without a usable realm: {challenge}");
        // The realm comes from the registry's answer: the pull secret's password goes there. Only
        // https, unless the registry itself is plain http (a configured insecure registry), and
        // then credentials only to the registry's own host.
        bool realmIsHttps = realmUri.Scheme == Uri.UriSchemeHttps;
        bool realmIsHttp = realmUri.Scheme == Uri.UriSchemeHttp;
        if (!realmIsHttps && !(realmIsHttp && registryUri.Scheme == Uri.UriSchemeHttp))
            throw new ImageResolutionException($"{reference}: refusing the bearer realm {realmUri.GetLeftPart(UriPartial.Authority)}: a token realm must be https");
        if (realmIsHttp && credential is not null && !string.Equals(realmUri.IdnHost, registryUri.IdnHost, StringComparison.OrdinalIgnoreCase))
            throw new ImageResolutionException($"{reference}: refusing to send credentials over plain http to the bearer realm {realmUri.GetLeftPart(UriPartial.Authority)}, another host than the registry");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out string? service))
            query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.GetValueOrDefault("scope") ?? scope));
        var uri = new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri;

        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (credential is not null)
            request.Headers.Authorization = BasicHeader(credential);
        HttpResponseMessage response;
        try
        {
            Interlocked.Increment(ref _requests);
            response = await _http.SendAsync(request, cancel).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ImageResolutionException($"{reference}: token server {uri.GetLeftPart(UriPartial.Authority)} unreachable: {e.Message}", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new ImageResolutionException($"{reference}: token server refused ({(int)response.StatusCode})" + (credential is null ? "; no pull secret has credentials for " + reference.Registry : ""));
            JsonObject body = ParseObject(await ReadCappedAsync(response, reference, cancel).ConfigureAwait(false), reference, "token response");
            string token = (body["token"] ?? body["access_token"])?.GetValue<string>()
                ?? throw new ImageResolutionException($"{reference}: the token response has no token");
            int seconds = body["expires_in"]?.GetValue<int>() ?? 60;
            DateTimeOffset now = _time.GetUtcNow();
            if (_tokens.Count >= MaxTokenEntries)
            {
                foreach (var entry in _tokens)
                {
                    if (entry.Value.Expires <= now)
                        _tokens.TryRemove(entry);
                }
                if (_tokens.Count >= MaxTokenEntries)
                    _tokens.Clear();
            }
            _tokens[tokenKey] = (token, now + TimeSpan.FromSeconds(Math.Max(seconds - 10, 1)));
            return token;
        }
    }

    /// <summary>`realm="https://auth",service="registry",scope="repository:x:pull"` (values may contain commas).</summary>
    internal static Dictionary<string, string> ParseChallenge(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
                i++;
            int eq = text.IndexOf('=', i);
            if (eq < 0)
                break;
            string key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new StringBuilder();
                for (i++; i < text.Length && text[i] != '"'; i++)
                    sb.Append(text[i] == '\\' && i + 1 < text.Length ? text[++i] : text[i]);
                i++;
                value = sb.ToString();
            }
            else
            {
                int end = text.IndexOf(',', i);
                if (end < 0)
                    end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential c) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")));

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, ImageReference reference, CancellationToken cancel)
    {
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
            throw new ImageResolutionException($"{reference}: document larger than {MaxDocumentBytes} bytes");
        using var stream = await response.Content.ReadAsStreamAsync(cancel).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancel).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > MaxDocumentBytes)
                throw new ImageResolutionException($"{reference}: document larger than {MaxDocumentBytes} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    private static JsonObject ParseObject(byte[] bytes, ImageReference reference, string what)
    {
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw new ImageResolutionException($"{reference}: the {what} is not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ImageResolutionException($"{reference}: the {what} is not JSON: {e.Message}", e);
        }
    }

    private static List<string>? Strings(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(a => a?.GetValue<string>() ?? "")] : null;

    private static Dictionary<string, string> Labels(JsonNode? node) =>
        node is JsonObject labels ? labels.ToDictionary(l => l.Key, l => l.Value?.GetValue<string>() ?? "", StringComparer.Ordinal) : [];

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
