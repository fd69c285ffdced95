namespace MicroEnforcer.Audit.Delivery;

/// <summary>
/// On ECS (Fargate or EC2), the container's metadata: <c>GET $ECS_CONTAINER_METADATA_URI_V4</c>,
/// a link-local HTTP endpoint the agent serves to the task. Fetched once, by the first sender
/// thread that needs the resource, with a short timeout: the identity is worth a moment, not a
/// stalled sink.
/// </summary>
internal static class EcsMetadata
{
    public const string Variable = "ECS_CONTAINER_METADATA_URI_V4";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>The metadata's JSON; null with <paramref name="error"/> when it could not be had.</summary>
    public static string? Fetch(string uri, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(uri, UriKind.Absolute, out Uri? endpoint) || endpoint.Scheme != Uri.UriSchemeHttp)
        {
            error = $"{Variable}='{uri}' is not an http:// URL";
            return null;
        }
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = Timeout }) { Timeout = Timeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
            using HttpResponseMessage response = client.Send(request);
            if (!response.IsSuccessStatusCode)
            {
                error = $"GET {endpoint}: HTTP {(int)response.StatusCode}";
                return null;
            }
            using var reader = new StreamReader(response.Content.ReadAsStream());
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            error = $"GET {endpoint}: {e.Message}";
            return null;
        }
    }
}
