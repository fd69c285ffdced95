using System.Net.Sockets;
using System.Text;

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
        using var exchange = new HttpExchange(endpoint,
            cancel => new NetworkStream(HttpExchange.ConnectTcp(endpoint.IdnHost, endpoint.Port, cancel), ownsSocket: true), Timeout);
        try
        {
            HttpExchange.Answer answer = exchange.Send("GET", [("Accept", "application/json")], [], CancellationToken.None);
            if (answer.Status is < 200 or >= 300)
            {
                error = $"GET {endpoint}: HTTP {answer.Status}";
                return null;
            }
            return Encoding.UTF8.GetString(answer.Body);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            error = $"GET {endpoint}: {e.Message}";
            return null;
        }
    }
}
