using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Tests.Hosting;
using MicroEnforcer.Injector.Tests.Kubernetes;
using MicroEnforcer.Injector.Tests.Registry;
using Xunit;
using Xunit.Abstractions;

namespace MicroEnforcer.Injector.Tests;

/// <summary>
/// Concurrent AdmissionReviews over HTTPS on loopback against the real webhook, whose pods need
/// their image resolved from the real registry (warm cache after the first). A benchmark, not a
/// timing assertion: p50/p99 are printed and written to a results file (below); the test
/// asserts that every response was correct and that the warm cache made no registry request.
/// Runs alone (no other test collection in parallel), so the numbers are the webhook's.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTest(RegistryFixture registries, ITestOutputHelper output)
{
    private const int Warmup = 200;
    private const int Requests = 3000;
    private const int Concurrency = 4;

    [Fact]
    public async Task ConcurrentReviewsAreAllAnsweredCorrectly()
    {
        // As deployed (a JSON log line per decision, here into the test runner's stdout pipe), and
        // with request logging off, to show what the logging costs; each without and with a pull
        // secret read from a stand-in API server over TLS (the cache's default TTL), plus with the
        // cache off: one read per review, as before the cache. Interleaved, so that a change in
        // the machine's load does not land on one variant only.
        string? loadBefore = LoadAverage();
        await using var apiServer = await StandInApiServer.StartAsync();
        apiServer.Secrets["bench/regcred"] = $$$$"""{"auths": {"{{{{registries.Plain.Host}}}}": {"username": "bench", "password": "bench"}}}""";
        var runs = new JsonArray();
        foreach (string logLevel in (string[])["Information", "Warning"])
        {
            runs.Add(await RunAsync(logLevel, apiServer, pullSecret: false, cacheSeconds: 30));
            runs.Add(await RunAsync(logLevel, apiServer, pullSecret: true, cacheSeconds: 30));
        }
        runs.Add(await RunAsync("Warning", apiServer, pullSecret: true, cacheSeconds: 0));
        var results = new JsonObject
        {
            ["benchmark"] = "injector admission latency: HTTPS on loopback, pods CREATE with 3 containers (2 resolved from a real registry, warm cache), client in the same process; with a pull secret: the pod names one, read from a stand-in API server over TLS",
            ["target"] = "p99 < 10 ms with a warm registry cache; p99 with a pull secret equal to p99 without",
            ["cpus"] = Environment.ProcessorCount,
            // The machine may be shared: the 1/5/15-minute load averages say how busy it was.
            ["load_average_before"] = loadBefore,
            ["load_average_after"] = LoadAverage(),
            ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["measured_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["runs"] = runs,
        };
        string text = results.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        output.WriteLine(text);
        // `make injector-bench` runs this test alone and records bench/injector-latency.json;
        // inside `make test` other test assemblies share the CPUs, so the numbers go to artifacts/.
        string target = Path.Combine(TestPaths.RepositoryRoot,
            Environment.GetEnvironmentVariable("MICROENFORCER_INJECTOR_LATENCY") ?? Path.Combine("artifacts", "injector-latency.json"));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target, text + "\n");
    }

    private async Task<JsonObject> RunAsync(string logLevel, StandInApiServer apiServer, bool pullSecret, int cacheSeconds)
    {
        using var api = apiServer.Client();
        await using var webhook = await TestWebhook.StartAsync(api, o =>
        {
            o.InsecureRegistries = [registries.Plain.Host];
            o.PullSecretCacheSeconds = cacheSeconds;
        }, $"--Logging:LogLevel:Default={logLevel}");
        string pullSecrets = pullSecret ? "\"imagePullSecrets\": [{\"name\": \"regcred\"}]," : "";
        var pod = JsonNode.Parse($$$"""
            {"metadata": {"name": "load", "namespace": "bench", "annotations": {"microenforcer.io/inject": "enabled"}},
             "spec": { {{{pullSecrets}}} "containers": [
               {"name": "app", "image": "{{{registries.Plain.Host}}}/team/multi:multi", "args": ["--worker"]},
               {"name": "proxy", "image": "{{{registries.Plain.Host}}}/team/app:app"},
               {"name": "shell", "image": "busybox", "command": ["sh", "-c", "sleep 3600"], "securityContext": {"runAsUser": 1000}}]}}
            """)!.AsObject();
        var registry = webhook.App.Services.GetService(typeof(MicroEnforcer.Injector.Registry.IImageConfigSource)) as MicroEnforcer.Injector.Registry.RegistryClient;
        Assert.NotNull(registry);

        using var client = TestWebhook.Client(webhook.Certificate, keepAlive: true);
        client.DefaultRequestVersion = new Version(1, 1);
        var uri = new Uri(webhook.BaseUri, "/mutate");
        // The client's own work is kept out of the measured loop: bodies are made beforehand, and
        // responses are parsed and checked afterwards (client and server share the 2 CPUs).
        for (int i = 0; i < Warmup; i++)
            Check(pod, Response(await SendAsync(client, uri, Body(pod, $"warmup-{i}")), $"warmup-{i}"));
        long registryRequests = registry.RequestCount;
        long secretReads = apiServer.SecretReads;
        byte[][] bodies = [.. Enumerable.Range(0, Requests).Select(i => Body(pod, $"load-{i}"))];
        var responses = new string[Requests];

        var latencies = new double[Requests];
        int next = -1;
        var total = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                long start = Stopwatch.GetTimestamp();
                responses[i] = await SendAsync(client, uri, bodies[i]);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }).ToList();
        await Task.WhenAll(workers);
        total.Stop();
        for (int i = 0; i < Requests; i++)
            Check(pod, Response(responses[i], $"load-{i}"));

        Assert.Equal(registryRequests, registry.RequestCount); // warm cache: no registry traffic at all
        long secretReadsMeasured = apiServer.SecretReads - secretReads;
        if (pullSecret && cacheSeconds > 0)
            Assert.True(secretReadsMeasured < Requests / 100, $"{secretReadsMeasured} pull secret reads for {Requests} reviews");
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var result = new JsonObject
        {
            ["log_level"] = logLevel,
            ["pull_secret"] = pullSecret,
            ["pull_secret_cache_seconds"] = cacheSeconds,
            ["api_server_secret_reads"] = secretReadsMeasured,
            ["requests"] = Requests,
            ["concurrency"] = Concurrency,
            ["p50_ms"] = Math.Round(P(0.50), 3),
            ["p90_ms"] = Math.Round(P(0.90), 3),
            ["p99_ms"] = Math.Round(P(0.99), 3),
            ["max_ms"] = Math.Round(latencies[^1], 3),
            ["throughput_per_s"] = Math.Round(Requests / total.Elapsed.TotalSeconds, 1),
        };
        output.WriteLine($"log level {logLevel}, pull secret {pullSecret} (cache {cacheSeconds} s, {secretReadsMeasured} reads): p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms, {result["throughput_per_s"]}/s");
        return result;
    }

    private static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;

    private static byte[] Body(JsonObject pod, string uid) => Encoding.UTF8.GetBytes(Review(pod, uid).ToJsonString());

    private static async Task<string> SendAsync(HttpClient client, Uri uri, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(uri, content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return text;
    }

    private static JsonObject Response(string body, string uid)
    {
        var review = JsonNode.Parse(body)!["response"]!.AsObject();
        Assert.Equal(uid, review["uid"]!.GetValue<string>());
        return review;
    }

    private static void Check(JsonObject pod, JsonObject response)
    {
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Null(response["warnings"]);
        JsonObject injected = JsonPatchApplier.Apply(pod, GoldenAdmissionTests.Patch(response));
        var containers = injected["spec"]!["containers"]!.AsArray();
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", "/entry"], Strings(containers[0]!["command"]));
        Assert.Equal(["--worker"], Strings(containers[0]!["args"]));
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", .. RegistryFixture.AppEntrypoint], Strings(containers[1]!["command"]));
        Assert.Equal(RegistryFixture.AppCmd, Strings(containers[1]!["args"]));
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", "sh", "-c", "sleep 3600"], Strings(containers[2]!["command"]));
    }

    private static List<string> Strings(JsonNode? node) => [.. node!.AsArray().Select(a => a!.GetValue<string>())];

    /// <summary>A pods CREATE AdmissionReview for POD.</summary>
    internal static JsonObject Review(JsonObject pod, string uid) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["kind"] = "Pod" },
            ["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" },
            ["namespace"] = pod["metadata"]?["namespace"]?.DeepClone() ?? "default",
            ["name"] = pod["metadata"]?["name"]?.DeepClone(),
            ["operation"] = "CREATE",
            ["object"] = pod.DeepClone(),
        },
    };
}

/// <summary>The load test runs alone, after the parallel collections, with its own registries.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "Load";
}
