using System.Text.Json.Nodes;
using MicroEnforcer.Injector.Fargate;
using MicroEnforcer.Injector.Tests.Registry;
using Xunit;

namespace MicroEnforcer.Injector.Tests.ImageControls;

/// <summary>`fargate inject --image-controls`: the controls on a task definition's images (read from the
/// real registry on loopback) and its volumes; refused definitions are not written.</summary>
[Collection(RegistryCollection.Name)]
public sealed class FargateImageControlTests(RegistryFixture registries) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-fargate-controls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string TaskDefinition(string image) => $$$"""
        {"family": "t",
         "containerDefinitions": [
           {"name": "app", "image": "{{{image}}}", "entryPoint": ["/usr/local/bin/app"],
            "mountPoints": [{"sourceVolume": "docker", "containerPath": "/var/run/docker.sock"}]},
           {"name": "proxy", "image": "public.ecr.aws/nginx/nginx:1.27", "entryPoint": ["nginx"]}],
         "volumes": [
           {"name": "docker", "host": {"sourcePath": "/var/run/docker.sock"}},
           {"name": "scratch", "host": {}},
           {"name": "shared", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]}
        """;

    private async Task<(int Status, string Stderr, string Output)> InjectAsync(string task, string controls)
    {
        string input = Path.Combine(_dir, "task.json"), output = Path.Combine(_dir, "out.json"), controlsFile = Path.Combine(_dir, "controls.json");
        File.Delete(output);
        await File.WriteAllTextAsync(input, task);
        await File.WriteAllTextAsync(controlsFile, controls);
        var stderr = new StringWriter();
        int status = await FargateInjectCommand.RunAsync(["--in", input, "--out", output, "--image", "localhost/microenforcer:latest",
            "--insecure-registry", registries.Plain.Host, "--image-controls", controlsFile], TextWriter.Null, stderr, default);
        return (status, stderr.ToString(), File.Exists(output) ? await File.ReadAllTextAsync(output) : "");
    }

    private string Controls(string mode) => $$$"""
        {
          "RegistriesAllowed": {"Mode": "{{{mode}}}", "Registries": ["{{{registries.Plain.Host}}}"]},
          "NonCompliantImages": {"RunsAsRoot": "{{{mode}}}", "NotPinnedByDigest": "{{{mode}}}", "MissingLabels": "{{{mode}}}", "RequiredLabels": ["team"]},
          "VolumesBlocked": {"Mode": "{{{mode}}}", "Types": ["efsVolumeConfiguration"], "HostPaths": ["/var/run/docker.sock"]}
        }
        """;

    [Fact]
    public async Task EnforcedFindingsRefuseTheTaskDefinitionAndNameEachOne()
    {
        string root = $"{registries.Plain.Host}/team/root:root";
        var (status, stderr, output) = await InjectAsync(TaskDefinition(root), Controls("Enforce"));

        Assert.Equal(FargateInjectCommand.Refused, status);
        Assert.Equal("", output);
        Assert.Contains($"refused: Block Non-compliant Images (runs as root): container app: image {root} runs as root", stderr);
        Assert.Contains($"refused: Block Non-compliant Images (not pinned by digest): container app: image {root}", stderr);
        Assert.Contains($"refused: Block Non-compliant Images (missing labels): container app: image {root} lacks the required label(s) team", stderr);
        Assert.Contains("refused: Registries Allowed: container proxy: image public.ecr.aws/nginx/nginx:1.27 is from registry public.ecr.aws", stderr);
        Assert.Contains("refused: Volumes Blocked: volume docker: host path /var/run/docker.sock is blocked", stderr);
        Assert.Contains("refused: Volumes Blocked: volume shared: type efsVolumeConfiguration is blocked", stderr);
        Assert.DoesNotContain("volume scratch", stderr);
    }

    [Fact]
    public async Task DryRunWritesTheDefinitionAndWarnsOnStderr()
    {
        string root = $"{registries.Plain.Host}/team/root:root";
        var (status, stderr, output) = await InjectAsync(TaskDefinition(root), Controls("Warn"));

        Assert.True(status == 0, stderr);
        Assert.NotEqual("", output);
        Assert.Contains("warning: microenforcer (dry run): Block Non-compliant Images (runs as root): container app", stderr);
        Assert.Contains("warning: microenforcer (dry run): Volumes Blocked: volume docker", stderr);
        Assert.DoesNotContain("refused", stderr);
    }

    [Fact]
    public async Task ACompliantDefinitionIsInjectedAndTheContainerUserOverridesTheImage()
    {
        string pinned = $"{registries.Plain.Host}/team/nonroot@{registries.NonRootManifestDigest}";
        string task = TaskDefinition(pinned).Replace("public.ecr.aws/nginx/nginx:1.27", $"{registries.Plain.Host}/team/root@{registries.RootManifestDigest}", StringComparison.Ordinal);
        string controls = $$$"""
            {"RegistriesAllowed": {"Mode": "Enforce", "Registries": ["{{{registries.Plain.Host}}}"]},
             "NonCompliantImages": {"RunsAsRoot": "Enforce", "NotPinnedByDigest": "Enforce"}}
            """;
        // proxy runs the root image: refused until the task definition sets a user for it.
        var refused = await InjectAsync(task, controls);
        Assert.Equal(FargateInjectCommand.Refused, refused.Status);
        Assert.Contains("container proxy: image", refused.Stderr);
        Assert.DoesNotContain("container app", refused.Stderr);

        var node = JsonNode.Parse(task)!;
        node["containerDefinitions"]![1]!["user"] = "1000:1000";
        var (status, stderr, output) = await InjectAsync(node.ToJsonString(), controls);
        Assert.True(status == 0, stderr);
        Assert.Equal(3, JsonNode.Parse(output)!["containerDefinitions"]!.AsArray().Count);
    }

    [Fact]
    public async Task AMisspeltControlIsAnErrorNotASilentlyDisabledControl()
    {
        var (status, stderr, output) = await InjectAsync(TaskDefinition("registry.example/app:1"), """{"RegistriesAllowed": {"Mod": "Enforce"}}""");
        Assert.Equal(1, status);
        Assert.Contains("Mod", stderr);
        Assert.Equal("", output);
    }
}
