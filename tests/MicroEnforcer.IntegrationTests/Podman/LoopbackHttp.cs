using System.Net;
using System.Net.Sockets;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>HTTP on a loopback port published with `-p 127.0.0.1:PORT:80`.</summary>
internal static class LoopbackHttp
{
    /// <summary>A port nothing listens on right now (the kernel's pick), for `podman run -p`.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// GETs the page until it answers 200 (the server inside may still be starting), and returns
    /// its body; null when it never did within the deadline. The last failure is in lastError.
    /// </summary>
    public static string? WaitForPage(int port, TimeSpan timeout, out string lastError)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        lastError = "no attempt";
        do
        {
            try
            {
                using var response = client.GetAsync(new Uri($"http://127.0.0.1:{port}/")).GetAwaiter().GetResult();
                string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                    return body;
                lastError = $"HTTP {(int)response.StatusCode}: {body}";
            }
            catch (HttpRequestException e)
            {
                lastError = e.Message;
            }
            catch (TaskCanceledException e)
            {
                lastError = e.Message;
            }
            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        return null;
    }
}
