using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Kubernetes;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Hosting;

/// <summary>
/// The attack: every field the webhook reads, in a pods CREATE and a pods/exec review, replaced
/// by each JSON type it is not, and bodies that are not JSON at all. The API server only sends
/// well-formed reviews, so anything else is a client's mistake (or an attacker's probe): it must
/// get 400 with the field named, never a 500 and never a patch built from a misread field.
/// </summary>
public sealed class MalformedReviewTests(MalformedReviewTests.Webhook webhook) : IClassFixture<MalformedReviewTests.Webhook>
{
    // Port 1 on loopback refuses at once: the container without a command fails to resolve fast
    // (admitted with a warning), after its image, pull secrets and node selector have been read.
    private const string UnreachableRegistry = "127.0.0.1:1";

    private static readonly string s_pod = """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
          "resource": {"group": "", "version": "v1", "resource": "pods"},
          "namespace": "shop", "name": "web", "operation": "CREATE",
          "object": {
            "metadata": {"name": "web", "generateName": "web-", "namespace": "shop",
              "annotations": {"microenforcer.io/inject": "enabled", "microenforcer.io/policy": "shop-policy", "microenforcer.io/resolve-failure": "admit"}},
            "spec": {
              "containers": [
                {"name": "app", "image": "busybox", "command": ["sh"], "args": ["-c", "sleep 1"],
                 "env": [{"name": "A", "value": "b"}], "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                 "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}, "runAsUser": 1000, "runAsNonRoot": true}},
                {"name": "proxy", "image": "127.0.0.1:1/team/proxy:1", "args": ["--port", "8080"]}],
              "initContainers": [{"name": "setup", "image": "busybox", "command": ["true"]}],
              "volumes": [{"name": "data", "emptyDir": {}}, {"name": "sock", "hostPath": {"path": "/run/app.sock"}}],
              "securityContext": {"runAsUser": 1000, "runAsNonRoot": true},
              "imagePullSecrets": [{"name": "regcred"}],
              "nodeSelector": {"kubernetes.io/arch": "amd64"},
              "hostPID": false}}}}
        """;

    // An UPDATE (an ephemeral container added), which the image controls read with the pod it replaces.
    private static readonly string s_update = s_pod
        .Replace("\"operation\": \"CREATE\",", "\"operation\": \"UPDATE\", \"oldObject\": {\"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"busybox\"}]}},", StringComparison.Ordinal)
        .Replace("\"hostPID\": false", "\"hostPID\": false, \"ephemeralContainers\": [{\"name\": \"debug\", \"image\": \"busybox\", \"securityContext\": {\"runAsUser\": 0}}]", StringComparison.Ordinal);

    private static readonly string s_exec = """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "u-2", "kind": {"group": "", "version": "v1", "kind": "PodExecOptions"},
          "resource": {"group": "", "version": "v1", "resource": "pods"}, "subResource": "exec",
          "namespace": "shop", "name": "web", "operation": "CONNECT",
          "object": {"kind": "PodExecOptions", "apiVersion": "v1", "container": "app", "command": ["sh", "-c", "id"], "stdin": true, "tty": true}}}
        """;

    /// <summary>The fields the webhook reads (JSON pointers into the reviews above).</summary>
    private static readonly string[] s_podFields =
    [
        "/apiVersion", "/kind", "/request", "/request/uid", "/request/kind", "/request/resource", "/request/resource/group",
        "/request/resource/resource", "/request/namespace", "/request/name", "/request/operation",
        "/request/object", "/request/object/metadata", "/request/object/metadata/name", "/request/object/metadata/generateName",
        "/request/object/metadata/annotations", "/request/object/metadata/annotations/microenforcer.io~1inject",
        "/request/object/metadata/annotations/microenforcer.io~1policy", "/request/object/metadata/annotations/microenforcer.io~1resolve-failure",
        "/request/object/spec", "/request/object/spec/containers", "/request/object/spec/containers/0",
        "/request/object/spec/containers/0/name", "/request/object/spec/containers/0/image", "/request/object/spec/containers/0/command",
        "/request/object/spec/containers/0/command/0", "/request/object/spec/containers/0/args", "/request/object/spec/containers/0/args/1",
        "/request/object/spec/containers/0/env", "/request/object/spec/containers/0/env/0", "/request/object/spec/containers/0/env/0/name",
        "/request/object/spec/containers/0/volumeMounts", "/request/object/spec/containers/0/volumeMounts/0",
        "/request/object/spec/containers/0/securityContext", "/request/object/spec/containers/0/securityContext/capabilities",
        "/request/object/spec/containers/0/securityContext/capabilities/add", "/request/object/spec/containers/0/securityContext/capabilities/add/0",
        "/request/object/spec/containers/1", "/request/object/spec/containers/1/image", "/request/object/spec/containers/1/args",
        "/request/object/spec/initContainers", "/request/object/spec/initContainers/0", "/request/object/spec/initContainers/0/name",
        "/request/object/spec/volumes", "/request/object/spec/volumes/0",
        "/request/object/spec/imagePullSecrets", "/request/object/spec/imagePullSecrets/0", "/request/object/spec/imagePullSecrets/0/name",
        "/request/object/spec/nodeSelector", "/request/object/spec/nodeSelector/kubernetes.io~1arch", "/request/object/spec/hostPID",
        "/request/object/spec/containers/0/securityContext/runAsUser", "/request/object/spec/containers/0/securityContext/runAsNonRoot",
        "/request/object/spec/volumes/1/hostPath", "/request/object/spec/volumes/1/hostPath/path",
        "/request/object/spec/securityContext", "/request/object/spec/securityContext/runAsUser", "/request/object/spec/securityContext/runAsNonRoot",
    ];

    private static readonly string[] s_updateFields =
    [
        "/request/oldObject", "/request/oldObject/spec", "/request/oldObject/spec/containers", "/request/oldObject/spec/containers/0/image",
        "/request/object/spec/ephemeralContainers", "/request/object/spec/ephemeralContainers/0", "/request/object/spec/ephemeralContainers/0/image",
        "/request/object/spec/ephemeralContainers/0/securityContext/runAsUser", "/request/object/spec/volumes/1/hostPath/path",
    ];

    private static readonly string[] s_execFields =
    [
        "/request/subResource", "/request/object", "/request/object/container", "/request/object/command", "/request/object/command/0",
    ];

    /// <summary>One value of each JSON type.</summary>
    private static readonly Dictionary<string, string> s_values = new()
    {
        ["string"] = "\"x\"",
        ["number"] = "42",
        ["array"] = "[1]",
        ["null"] = "null",
        ["bool"] = "true",
        ["object"] = """{"a": 1}""",
    };

    public static TheoryData<string, string, string> WrongTypes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (review, fields) in new[] { ("pod", s_podFields), ("exec", s_execFields), ("update", s_updateFields) })
        {
            JsonNode root = JsonNode.Parse(Review(review))!;
            foreach (string field in fields)
            {
                JsonNode? original = Pointer(root, field);
                string have = original is null ? "absent" : Kind(original);
                foreach (string type in s_values.Keys.Where(t => t != have && !(have == "absent" && t == "null")))
                    data.Add(review, field, type);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task AFieldOfTheWrongTypeGets400NamingIt(string review, string field, string type)
    {
        JsonNode root = JsonNode.Parse(Review(review))!;
        Set(root, field, JsonNode.Parse(s_values[type]));

        var (status, body) = await webhook.PostAsync(root.ToJsonString());

        Assert.True((int)status < 500, $"{field} = {type}: HTTP {(int)status} {body}");
        if (type == "null")
        {
            // null is how some clients write an absent optional field: refused, or read as absent.
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{field} = null: HTTP {(int)status} {body}");
            if (status == HttpStatusCode.OK)
                AssertReview(body);
            return;
        }
        Assert.True(status == HttpStatusCode.BadRequest, $"{field} = {type}: HTTP {(int)status} {body}");
        string error = JsonNode.Parse(body)!["error"]!.GetValue<string>();
        Assert.Contains(Dotted(field), error);
    }

    public static TheoryData<string, string> Garbage() => new()
    {
        { "empty body", "" },
        { "whitespace", "  \n" },
        { "truncated", s_pod[..(s_pod.Length / 2)] },
        { "truncated string", """{"apiVersion": "admission.k8s.io/v1""" },
        { "top-level null", "null" },
        { "top-level number", "1e400" },
        { "top-level string", "\"AdmissionReview\"" },
        { "huge number uid", s_pod.Replace("\"u-1\"", "1" + new string('0', 5000), StringComparison.Ordinal) },
        { "huge exponent hostPID", s_pod.Replace("\"hostPID\": false", "\"hostPID\": 1e99999", StringComparison.Ordinal) },
        { "deep nesting", s_pod.Replace("\"b\"", new string('[', 10000) + new string(']', 10000), StringComparison.Ordinal) },
        { "deep objects", s_pod.Replace("\"b\"", string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000), StringComparison.Ordinal) },
        { "duplicate keys", s_pod.Replace("\"uid\": \"u-1\",", "\"uid\": \"u-1\", \"uid\": \"u-2\",", StringComparison.Ordinal) },
        { "duplicate annotation", s_pod.Replace("\"microenforcer.io/inject\": \"enabled\",", "\"microenforcer.io/inject\": \"enabled\", \"microenforcer.io/inject\": \"disabled\",", StringComparison.Ordinal) },
        { "trailing garbage", s_pod + "}" },
        { "two documents", s_pod + s_pod },
        { "comment", "/* hi */" + s_pod },
        { "invalid escape", s_pod.Replace("\"u-1\"", "\"u-\\x\"", StringComparison.Ordinal) },
        { "lone surrogate", s_pod.Replace("\"u-1\"", "\"\\ud800\"", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task ABodyThatIsNotAReviewGets400(string what, string body)
    {
        var (status, text) = await webhook.PostAsync(body);

        Assert.True(status == HttpStatusCode.BadRequest, $"{what}: HTTP {(int)status} {text}");
        Assert.NotEmpty(JsonNode.Parse(text)!["error"]!.GetValue<string>());
    }

    private static string Review(string name) => name switch { "pod" => s_pod, "update" => s_update, _ => s_exec };

    [Theory]
    [InlineData("pod")]
    [InlineData("exec")]
    [InlineData("update")]
    public async Task TheUnmutatedReviewsAreAnswered(string review)
    {
        var (status, body) = await webhook.PostAsync(Review(review));
        Assert.Equal(HttpStatusCode.OK, status);
        AssertReview(body);
    }

    [Fact]
    public async Task InvalidUtf8Gets400()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("{\"apiVersion\": \""), 0xff, 0xfe, .. Encoding.UTF8.GetBytes("\"}")];
        var (status, text) = await webhook.PostAsync(bytes);
        Assert.True(status == HttpStatusCode.BadRequest, $"HTTP {(int)status} {text}");
    }

    private static void AssertReview(string body)
    {
        var review = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        Assert.NotNull(review["response"]!["allowed"]);
    }

    private static string Kind(JsonNode node) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.Object => "object",
        System.Text.Json.JsonValueKind.Array => "array",
        System.Text.Json.JsonValueKind.String => "string",
        System.Text.Json.JsonValueKind.Number => "number",
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "bool",
        _ => "null",
    };

    /// <summary>/request/object/spec/containers/0/name → request.object.spec.containers[0].name, as the error names it.</summary>
    private static string Dotted(string pointer)
    {
        var sb = new StringBuilder();
        foreach (string token in pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal)))
        {
            if (int.TryParse(token, out _))
                sb.Append('[').Append(token).Append(']');
            else if (token.Contains('/', StringComparison.Ordinal) || token.Contains('.', StringComparison.Ordinal))
                sb.Append("[\"").Append(token).Append("\"]");
            else
                sb.Append(sb.Length == 0 ? "" : ".").Append(token);
        }
        return sb.ToString();
    }

    private static JsonNode? Pointer(JsonNode root, string pointer)
    {
        JsonNode? node = root;
        foreach (string token in pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal)))
            node = node is JsonArray a ? a[int.Parse(token, System.Globalization.CultureInfo.InvariantCulture)] : node?[token];
        return node;
    }

    private static void Set(JsonNode root, string pointer, JsonNode? value)
    {
        int slash = pointer.LastIndexOf('/');
        JsonNode parent = slash == 0 ? root : Pointer(root, pointer[..slash])!;
        string last = pointer[(slash + 1)..].Replace("~1", "/", StringComparison.Ordinal);
        if (parent is JsonArray array)
            array[int.Parse(last, System.Globalization.CultureInfo.InvariantCulture)] = value;
        else
            parent[last] = value;
    }

    /// <summary>One webhook for the whole table, with the exec target pod and a pull secret at its stand-in API server.</summary>
    public sealed class Webhook : IAsyncLifetime
    {
        private TestWebhook _webhook = null!;
        private HttpClient _client = null!;

        public async Task InitializeAsync()
        {
            var pod = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testassets", "exec-shell", "case.json")))!["pod"]!.AsObject();
            IKubernetesApi api = new TableKubernetesApi(pod, new Dictionary<string, string> { ["regcred"] = """{"auths": {}}""" });
            _webhook = await TestWebhook.StartAsync(api, o => o.InsecureRegistries = [UnreachableRegistry]);
            _client = TestWebhook.Client(_webhook.Certificate, keepAlive: true);
        }

        public Task<(HttpStatusCode Status, string Body)> PostAsync(string body) => PostAsync(Encoding.UTF8.GetBytes(body));

        public async Task<(HttpStatusCode Status, string Body)> PostAsync(byte[] body)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _client.PostAsync(new Uri(_webhook.BaseUri, "/mutate"), content);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        public async Task DisposeAsync()
        {
            _client.Dispose();
            await _webhook.DisposeAsync();
        }
    }
}
