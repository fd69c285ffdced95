using System.Text.Json.Nodes;

namespace MicroEnforcer.Injector.Kubernetes;

/// <summary>The two reads the injector makes from the API server.</summary>
public interface IKubernetesApi
{
    /// <summary>A pull secret's docker config JSON (`.dockerconfigjson` or `.dockercfg`), or null when the secret is absent.</summary>
    Task<string?> GetPullSecretAsync(string ns, string name, CancellationToken cancel);

    /// <summary>The pod, or null when it does not exist.</summary>
    Task<JsonObject?> GetPodAsync(string ns, string name, CancellationToken cancel);
}
