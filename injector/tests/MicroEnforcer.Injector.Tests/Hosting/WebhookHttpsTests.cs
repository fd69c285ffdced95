using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Hosting;

/// <summary>The webhook as the API server reaches it: HTTPS on a real socket, AdmissionReviews in and out.</summary>
public sealed class WebhookHttpsTests : IAsyncLifetime
{
    private static readonly string s_assets = Path.Combine(AppContext.BaseDirectory, "testassets");
    private TestWebhook _webhook = null!;

    public async Task InitializeAsync()
    {
        var injectedPod = JsonNode.Parse(File.ReadAllText(Path.Combine(s_assets, "exec-shell", "case.json")))!["pod"]!.AsObject();
        _webhook = await TestWebhook.StartAsync(new TableKubernetesApi(injectedPod), o => o.MaxRequestBodyBytes = 256 * 1024);
    }

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string body, string contentType = "application/json")
    {
        using var client = TestWebhook.Client(_webhook.Certificate);
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var response = await client.PostAsync(new Uri(_webhook.BaseUri, path), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/mutate", "pod-command-and-args")]
    [InlineData("/mutate", "pod-existing-init-containers-and-volumes")]
    [InlineData("/mutate/namespace", "pod-namespace-enabled-no-annotations")]
    [InlineData("/mutate/namespace", "pod-namespace-enabled-opted-out")]
    [InlineData("/mutate", "exec-shell")]
    [InlineData("/mutate", "exec-already-wrapped")]
    public async Task ReviewOverTlsGivesTheGoldenPatch(string path, string name)
    {
        var (status, body) = await PostAsync(path, File.ReadAllText(Path.Combine(s_assets, name, "admission-review.json")));

        Assert.Equal(HttpStatusCode.OK, status);
        var review = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(s_assets, name, "expected-patch.json")));
        Assert.True(JsonNode.DeepEquals(expected, GoldenAdmissionTests.Patch(review["response"]!.AsObject())), body);
        if (expected!.AsArray().Count > 0)
            Assert.Equal("JSONPatch", review["response"]!["patchType"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json", HttpStatusCode.BadRequest, "the body is not JSON")]
    [InlineData("[1,2]", HttpStatusCode.BadRequest, "the body is not a JSON object")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}""", HttpStatusCode.BadRequest, "expected apiVersion admission.k8s.io/v1")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", HttpStatusCode.BadRequest, "has no request")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}""", HttpStatusCode.BadRequest, "has no uid")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","resource":{"group":"","resource":"pods"},"operation":"CREATE","object":{"spec":"nonsense"}}}""", HttpStatusCode.BadRequest, "request.object.spec: expected an object, got a string")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","resource":{"group":"","resource":"pods"},"operation":"CREATE","object":{"metadata":{"annotations":{"microenforcer.io/inject":"enabled"}},"spec":{"containers":[{"name":"a","command":"sh"}]}}}}""", HttpStatusCode.BadRequest, "request.object.spec.containers[0].command: expected an array of strings, got a string")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","resource":{"group":"","resource":"pods"},"subResource":"exec","operation":"CONNECT","name":"web","namespace":"shop","object":{"command":[1,2]}}}""", HttpStatusCode.BadRequest, "request.object.command[0]: expected a string, got a number")]
    public async Task MalformedRequestsGetAClearErrorAndTheServiceCarriesOn(string body, HttpStatusCode expected, string message)
    {
        var (status, text) = await PostAsync("/mutate", body);

        Assert.Equal(expected, status);
        Assert.Contains(message, JsonNode.Parse(text)!["error"]!.GetValue<string>());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task WrongContentTypeIsRefused()
    {
        var (status, text) = await PostAsync("/mutate", "{}", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("application/json", text);
    }

    [Fact]
    public async Task OversizedBodyIsRefusedWith413()
    {
        // A valid review made too big by a long annotation: the cap applies before any parsing.
        var review = JsonNode.Parse(File.ReadAllText(Path.Combine(s_assets, "pod-command-only", "admission-review.json")))!;
        review["request"]!["object"]!["metadata"]!["annotations"]!["padding"] = new string('x', 300 * 1024);
        var (status, text) = await PostAsync("/mutate", review.ToJsonString());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than 262144 bytes", text);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task HealthAndReadinessAnswer()
    {
        using var client = TestWebhook.Client(_webhook.Certificate);
        Assert.Equal("ok\n", await client.GetStringAsync(new Uri(_webhook.BaseUri, "/healthz")));
        Assert.Equal("ready\n", await client.GetStringAsync(new Uri(_webhook.BaseUri, "/readyz")));
        using var get = await client.GetAsync(new Uri(_webhook.BaseUri, "/mutate"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task RenewedCertificateIsServedWithoutRestart()
    {
        X509Certificate2 before = _webhook.Certificate;
        X509Certificate2 renewed = _webhook.RotateCertificate();
        Assert.NotEqual(before.Thumbprint, renewed.Thumbprint);

        // New connections present the new certificate within a few reload intervals (1 s here).
        string? seen = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            using var client = TestWebhook.Client(renewed, c => seen = c.Thumbprint);
            try
            {
                await client.GetStringAsync(new Uri(_webhook.BaseUri, "/healthz"));
                break;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200); // still the old one: refused by a client that trusts only the new
            }
        }
        Assert.Equal(renewed.Thumbprint, seen);

        // A client that trusts only the old certificate is now refused: the old one is gone.
        using var old = TestWebhook.Client(before);
        await Assert.ThrowsAsync<HttpRequestException>(() => old.GetStringAsync(new Uri(_webhook.BaseUri, "/healthz")));
    }

    [Fact]
    public async Task PlainHttpIsNotServed()
    {
        using var client = new HttpClient();
        var plain = new UriBuilder(_webhook.BaseUri) { Scheme = "http" }.Uri;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await client.GetAsync(new Uri(plain, "/healthz"));
            response.EnsureSuccessStatusCode();
        });
    }

    private async Task AssertStillServingAsync()
    {
        using var client = TestWebhook.Client(_webhook.Certificate);
        Assert.Equal("ok\n", await client.GetStringAsync(new Uri(_webhook.BaseUri, "/healthz")));
    }
}
