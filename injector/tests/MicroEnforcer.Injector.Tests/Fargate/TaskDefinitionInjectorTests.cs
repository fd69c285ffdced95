using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Fargate;
using MicroEnforcer.Injector.Registry;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Fargate;

/// <summary>The ECS task definition rewrite (pure); the podman emulation of the result is in the integration tests.</summary>
public sealed class TaskDefinitionInjectorTests
{
    // The official nginx image's configuration, as the registry gives it.
    private static readonly ImageConfig s_nginx = new(["/docker-entrypoint.sh"], ["nginx", "-g", "daemon off;"], "sha256:nginx");
    private static readonly string s_samples = Path.Combine(TestPaths.RepositoryRoot, "samples", "fargate");

    [Fact]
    public void SampleGivesTheSampleAfter()
    {
        var task = TaskDefinitionInjector.Unwrap(Read(Path.Combine(s_samples, "task-definition.json")));
        var injected = TaskDefinitionInjector.Inject(task, "ghcr.io/microenforcer/microenforcer:latest", null, new Dictionary<int, ImageConfig> { [0] = s_nginx });
        string path = Path.Combine(s_samples, "task-definition.injected.json");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            File.WriteAllText(path, injected.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Assert.True(JsonNode.DeepEquals(Read(path), injected), injected.ToJsonString());
    }

    [Fact]
    public void EveryAppContainerRunsUnderTheEnforcerAfterTheSidecar()
    {
        var task = TaskDefinitionInjector.Unwrap(Read(Path.Combine(s_samples, "task-definition.json")));
        var injected = TaskDefinitionInjector.Inject(task, "registry.example/me:1", null, new Dictionary<int, ImageConfig> { [0] = s_nginx });
        var containers = injected["containerDefinitions"]!.AsArray();

        var sidecar = containers[0]!;
        Assert.Equal("microenforcer", sidecar["name"]!.GetValue<string>());
        Assert.Equal("registry.example/me:1", sidecar["image"]!.GetValue<string>());
        Assert.False(sidecar["essential"]!.GetValue<bool>());
        Assert.Equal(3, containers.Count);

        var web = containers[1]!;
        // No entryPoint: the image's ENTRYPOINT goes after the prefix, and its CMD becomes
        // `command` (Docker drops the image CMD once an entry point is set).
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", "/docker-entrypoint.sh"], Strings(web["entryPoint"]));
        Assert.Equal(["nginx", "-g", "daemon off;"], Strings(web["command"]));
        var worker = containers[2]!;
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--", "/usr/local/bin/worker"], Strings(worker["entryPoint"]));
        Assert.Equal(["--queue", "orders"], Strings(worker["command"]));
        // Existing dependsOn and capabilities are kept and appended to.
        Assert.Equal("""[{"containerName":"web","condition":"START"},{"containerName":"microenforcer","condition":"SUCCESS"}]""", worker["dependsOn"]!.ToJsonString());
        Assert.Equal("""{"drop":["NET_RAW"],"add":["SYS_PTRACE"]}""", worker["linuxParameters"]!["capabilities"]!.ToJsonString());
        Assert.False(worker["linuxParameters"]!["initProcessEnabled"]!.GetValue<bool>());
        foreach (var app in new[] { web, worker })
            Assert.Equal("""[{"sourceContainer":"microenforcer","readOnly":true}]""", app["volumesFrom"]!.ToJsonString());
    }

    [Fact]
    public void InjectingTwiceChangesNothing()
    {
        var task = TaskDefinitionInjector.Unwrap(Read(Path.Combine(s_samples, "task-definition.json")));
        var once = TaskDefinitionInjector.Inject(task, "me:1", null, new Dictionary<int, ImageConfig> { [0] = s_nginx });
        Assert.True(TaskDefinitionInjector.IsInjected(once));
        var twice = TaskDefinitionInjector.Inject(once, "me:1", null, new Dictionary<int, ImageConfig>());
        Assert.True(JsonNode.DeepEquals(once, twice));
    }

    [Fact]
    public void DescribeTaskDefinitionOutputIsUnwrappedAndItsReadOnlyFieldsDropped()
    {
        var described = new JsonObject
        {
            ["taskDefinition"] = new JsonObject
            {
                ["taskDefinitionArn"] = "arn:aws:ecs:eu-west-1:1:task-definition/x:3",
                ["revision"] = 3,
                ["status"] = "ACTIVE",
                ["family"] = "x",
                ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "a", ["image"] = "a:1", ["entryPoint"] = new JsonArray("/a") }),
            },
        };
        var task = TaskDefinitionInjector.Unwrap(described);
        Assert.Equal("""{"family":"x","containerDefinitions":[{"name":"a","image":"a:1","entryPoint":["/a"]}]}""", task.ToJsonString());
    }

    [Fact]
    public void PolicyPathAndPlatformAreTakenIntoAccount()
    {
        var task = JsonNode.Parse("""
            {"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
             "containerDefinitions": [{"name": "a", "image": "a:1", "command": ["serve"]}]}
            """)!.AsObject();
        Assert.Equal(new Platform("linux", "arm64"), TaskDefinitionInjector.PlatformOf(task));
        Assert.Equal([0], TaskDefinitionInjector.ContainersNeedingImageConfig(task));
        var injected = TaskDefinitionInjector.Inject(task, "me:1", "/etc/microenforcer/policy.yaml",
            new Dictionary<int, ImageConfig> { [0] = new(["/app"], ["default-arg"], "sha256:x") });
        var a = injected["containerDefinitions"]![1]!;
        Assert.Equal(["/.microenforcer/microenforcer", "run", "--policy", "/etc/microenforcer/policy.yaml", "--", "/app"], Strings(a["entryPoint"]));
        Assert.Equal(["serve"], Strings(a["command"])); // the task's command replaces the image's CMD, as before
        Assert.Throws<FormatException>(() => TaskDefinitionInjector.PlatformOf(JsonNode.Parse("""{"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}}""")!.AsObject()));
    }

    [Fact]
    public void ContainersGetTheirIdentityAndTheAuditSinksButKeepTheirOwnVariables()
    {
        var task = JsonNode.Parse("""
            {"containerDefinitions": [
              {"name": "a", "image": "a:1", "entryPoint": ["/a"], "environment": [{"name": "MICROENFORCER_AUDIT_OTLP_ENDPOINT", "value": "http://own:4318/"}, {"name": "TZ", "value": "UTC"}]},
              {"name": "b", "image": "b@sha256:0123", "entryPoint": ["/b"]}]}
            """)!.AsObject();
        var audit = new AuditSinkOptions { OtlpEndpoint = "http://otel:4318/v1/logs", SyslogAddress = "syslog:514", SyslogTls = false };

        var containers = TaskDefinitionInjector.Inject(task, "me:1", null, new Dictionary<int, ImageConfig>(), audit)["containerDefinitions"]!;

        Assert.Null(containers[0]!["environment"]); // the sidecar only prints its version
        Assert.Equal("""[{"name":"MICROENFORCER_AUDIT_OTLP_ENDPOINT","value":"http://own:4318/"},{"name":"TZ","value":"UTC"},{"name":"MICROENFORCER_AUDIT_SYSLOG_ADDRESS","value":"syslog:514"},{"name":"MICROENFORCER_AUDIT_SYSLOG_TLS","value":"false"},{"name":"MICROENFORCER_CONTAINER_NAME","value":"a"},{"name":"MICROENFORCER_IMAGE","value":"a:1"}]""",
            containers[1]!["environment"]!.ToJsonString());
        Assert.Equal("""[{"name":"MICROENFORCER_AUDIT_OTLP_ENDPOINT","value":"http://otel:4318/v1/logs"},{"name":"MICROENFORCER_AUDIT_SYSLOG_ADDRESS","value":"syslog:514"},{"name":"MICROENFORCER_AUDIT_SYSLOG_TLS","value":"false"},{"name":"MICROENFORCER_CONTAINER_NAME","value":"b"},{"name":"MICROENFORCER_IMAGE","value":"b@sha256:0123"}]""",
            containers[2]!["environment"]!.ToJsonString());
    }

    [Fact]
    public void ImageWithNothingToRunIsRefused()
    {
        var task = JsonNode.Parse("""{"containerDefinitions": [{"name": "a", "image": "a:1"}]}""")!.AsObject();
        var e = Assert.Throws<ImageResolutionException>(() => TaskDefinitionInjector.Inject(task, "me:1", null, new Dictionary<int, ImageConfig> { [0] = new(null, null, "sha256:x") }));
        Assert.Contains("neither ENTRYPOINT nor CMD", e.Message);
    }

    private static JsonObject Read(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    private static List<string> Strings(JsonNode? node) => [.. node!.AsArray().Select(a => a!.GetValue<string>())];
}
