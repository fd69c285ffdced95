using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Registry;

/// <summary>A user name and password (or token) for one registry.</summary>
public sealed record RegistryCredential(string Username, string Password);

/// <summary>
/// Registry credentials in Docker's config formats: `.dockerconfigjson` (`{"auths": {...}}`,
/// what kubernetes.io/dockerconfigjson pull secrets hold) and the older `.dockercfg` (the map alone).
/// Each entry has `auth` (base64 of user:password) or `username` and `password`.
/// </summary>
public sealed class DockerConfig
{
    private readonly Dictionary<string, RegistryCredential> _byHost = new(StringComparer.OrdinalIgnoreCase);

    public static DockerConfig Empty { get; } = new();

    public static DockerConfig Parse(string json)
    {
        var config = new DockerConfig();
        JsonObject root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("a docker config is a JSON object");
        JsonObject auths = root["auths"] as JsonObject ?? root;
        foreach (var (key, value) in auths)
        {
            if (value is not JsonObject entry)
                continue;
            RegistryCredential? credential = null;
            if (entry["auth"]?.GetValue<string>() is { Length: > 0 } auth)
            {
                string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                int colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                    credential = new(decoded[..colon], decoded[(colon + 1)..]);
            }
            else if (entry["username"]?.GetValue<string>() is { } user && entry["password"]?.GetValue<string>() is { } password)
            {
                credential = new(user, password);
            }
            if (credential is not null)
                config._byHost.TryAdd(NormaliseHost(key), credential);
        }
        return config;
    }

    /// <summary>Merges configs in order: the first one naming a registry wins (kubelet tries pull secrets in order too).</summary>
    public static DockerConfig Merge(IEnumerable<DockerConfig> configs)
    {
        var merged = new DockerConfig();
        foreach (DockerConfig config in configs)
        {
            foreach (var (host, credential) in config._byHost)
                merged._byHost.TryAdd(host, credential);
        }
        return merged;
    }

    public RegistryCredential? Find(string registry) => _byHost.GetValueOrDefault(NormaliseHost(registry));

    public int Count => _byHost.Count;

    /// <summary>`https://index.docker.io/v1/` and `registry-1.docker.io` are Docker Hub; schemes and paths are dropped.</summary>
    private static string NormaliseHost(string key)
    {
        string host = key;
        int scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            host = host[(scheme + 3)..];
        int slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
            host = host[..slash];
        return host is "index.docker.io" or "registry-1.docker.io" ? ImageReference.DockerHub : host;
    }

    internal static string ToJson(IReadOnlyDictionary<string, RegistryCredential> credentials)
    {
        var auths = new JsonObject();
        foreach (var (host, c) in credentials)
            auths[host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Password}")) };
        return new JsonObject { ["auths"] = auths }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
