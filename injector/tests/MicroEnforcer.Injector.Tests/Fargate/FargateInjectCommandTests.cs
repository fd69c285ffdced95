using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Fargate;
using MicroEnforcer.Injector.Tests.Registry;
using Xunit;

namespace MicroEnforcer.Injector.Tests.Fargate;

/// <summary>`microenforcer-injector fargate inject` end to end, resolving entry points from the real registries.</summary>
[Collection(RegistryCollection.Name)]
public sealed class FargateInjectCommandTests(RegistryFixture registries) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-fargate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ResolvesMissingEntryPointsWithTheGivenCredentialsAndPlatform()
    {
        string input = Path.Combine(_dir, "task.json"), output = Path.Combine(_dir, "out.json"), auth = Path.Combine(_dir, "auth.json");
        await File.WriteAllTextAsync(input, $$$"""
            {"family": "t", "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
             "containerDefinitions": [
               {"name": "multi", "image": "{{{registries.Bearer.Host}}}/private/multi:multi"},
               {"name": "app", "image": "{{{registries.Basic.Host}}}/private/app:app", "command": ["--debug"]}]}
            """);
        await File.WriteAllTextAsync(auth, MicroEnforcer.Injector.Registry.DockerConfig.ToJson(new Dictionary<string, MicroEnforcer.Injector.Registry.RegistryCredential>
        {
            [registries.Bearer.Host] = new(RegistryFixture.User, RegistryFixture.Password),
            [registries.Basic.Host] = new(RegistryFixture.User, RegistryFixture.Password),
        }));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int status = await FargateInjectCommand.RunAsync(["--in", input, "--out", output, "--image", "localhost/microenforcer:latest", "--registry-auth", auth,
            "--insecure-registry", registries.Bearer.Host, "--insecure-registry", registries.Basic.Host], stdout, stderr, default);

        Assert.True(status == 0, stderr.ToString());
        var containers = JsonNode.Parse(await File.ReadAllTextAsync(output))!["containerDefinitions"]!.AsArray();
        Assert.Equal("""["/.microenforcer/microenforcer","run","--","/entry"]""", containers[1]!["entryPoint"]!.ToJsonString());
        Assert.Equal("""["built-for-arm64"]""", containers[1]!["command"]!.ToJsonString()); // the task's runtimePlatform picked arm64
        Assert.Equal("""["/.microenforcer/microenforcer","run","--","/usr/local/bin/app"]""", containers[2]!["entryPoint"]!.ToJsonString());
        Assert.Equal("""["--debug"]""", containers[2]!["command"]!.ToJsonString());
        Assert.Contains("ENTRYPOINT [\"/entry\"], CMD [\"built-for-arm64\"]", stderr.ToString());

        // Without the credentials it fails, says why, and writes nothing.
        string refused = Path.Combine(_dir, "refused.json");
        var errors = new StringWriter();
        status = await FargateInjectCommand.RunAsync(["--in", input, "--out", refused, "--insecure-registry", registries.Bearer.Host], stdout, errors, default);
        Assert.Equal(1, status);
        Assert.Contains("no pull secret has credentials", errors.ToString());
        Assert.False(File.Exists(refused));
    }

    [Fact]
    public async Task InitProcessEnabledIsWarnedAbout()
    {
        string input = Path.Combine(_dir, "init.json"), output = Path.Combine(_dir, "init-out.json");
        await File.WriteAllTextAsync(input, """
            {"family": "t", "containerDefinitions": [
               {"name": "app", "image": "registry.example/app:1", "entryPoint": ["/app"], "linuxParameters": {"initProcessEnabled": true}},
               {"name": "other", "image": "registry.example/other:1", "entryPoint": ["/other"], "linuxParameters": {"initProcessEnabled": false}}]}
            """);
        var stderr = new StringWriter();
        int status = await FargateInjectCommand.RunAsync(["--in", input, "--out", output, "--image", "localhost/microenforcer:latest"], TextWriter.Null, stderr, default);
        Assert.True(status == 0, stderr.ToString());
        Assert.Contains("container app has linuxParameters.initProcessEnabled: true", stderr.ToString());
        Assert.DoesNotContain("container other", stderr.ToString());
    }

    [Fact]
    public async Task AuditFlagsBecomeEnvironmentOfEveryContainer()
    {
        string input = Path.Combine(_dir, "audit.json"), output = Path.Combine(_dir, "audit-out.json");
        await File.WriteAllTextAsync(input, """
            {"family": "t", "containerDefinitions": [
               {"name": "app", "image": "registry.example/app:1", "entryPoint": ["/app"],
                "secrets": [{"name": "MICROENFORCER_AUDIT_BEARER_TOKEN_FILE", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/x"}]}]}
            """);
        var stderr = new StringWriter();
        int status = await FargateInjectCommand.RunAsync(["--in", input, "--out", output, "--audit-otlp-endpoint", "https://otel.example:4318/v1/logs",
            "--audit-syslog-address", "syslog.example:6514", "--audit-syslog-tls", "true", "--audit-ca-file", "/etc/ca.pem",
            "--audit-bearer-token-file", "/run/token", "--audit-falco-endpoint", "http://falcosidekick.example:2801/"], TextWriter.Null, stderr, default);
        Assert.True(status == 0, stderr.ToString());

        var app = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(output))!["containerDefinitions"]![1]!;
        Assert.Equal("""
            [{"name":"MICROENFORCER_AUDIT_OTLP_ENDPOINT","value":"https://otel.example:4318/v1/logs"},{"name":"MICROENFORCER_AUDIT_FALCO_ENDPOINT","value":"http://falcosidekick.example:2801/"},{"name":"MICROENFORCER_AUDIT_SYSLOG_ADDRESS","value":"syslog.example:6514"},{"name":"MICROENFORCER_AUDIT_SYSLOG_TLS","value":"true"},{"name":"MICROENFORCER_AUDIT_CA_FILE","value":"/etc/ca.pem"},{"name":"MICROENFORCER_CONTAINER_NAME","value":"app"},{"name":"MICROENFORCER_IMAGE","value":"registry.example/app:1"}]
            """, app["environment"]!.ToJsonString()); // the token file comes from the task's own secret

        Assert.Equal(64, await FargateInjectCommand.RunAsync(["--in", input, "--out", output, "--audit-syslog-tls", "yes"], TextWriter.Null, stderr, default));
        Assert.Contains("--audit-syslog-tls takes true or false, not 'yes'", stderr.ToString());
    }

    [Fact]
    public async Task BadCommandLinesAreUsageErrors()
    {
        var stderr = new StringWriter();
        Assert.Equal(64, await FargateInjectCommand.RunAsync(["--in", "x.json"], TextWriter.Null, stderr, default));
        Assert.Contains("--in and --out are required", stderr.ToString());
        Assert.Equal(64, await FargateInjectCommand.RunAsync(["--bogus"], TextWriter.Null, stderr, default));
        Assert.Contains("unknown argument '--bogus'", stderr.ToString());
    }
}
