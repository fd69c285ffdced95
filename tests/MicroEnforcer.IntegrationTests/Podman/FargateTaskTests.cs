using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.IntegrationTests.Harness;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// An ECS task definition injected by `microenforcer-injector fargate inject`, run in podman the
/// way the ECS agent runs it: the non-essential sidecar from the enforcer image first (the app
/// depends on it exiting 0), then the app container with `--volumes-from` the sidecar (read-only),
/// its capabilities (the default set plus SYS_PTRACE) and the rewritten entry point. Inside it,
/// the workload runs the drift scenario: the copy must be refused and audited.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class FargateTaskTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("microenforcer-fargate-").FullName;

    public FargateTaskTests(PodmanImages images) => _ = images; // the fixture builds the images

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void InjectedTaskBlocksDriftInTheAppContainer()
    {
        // The app: the Debian nginx image, entry point given (the registry resolution of a
        // missing one is tested against a real registry in the injector's tests).
        string script = DriftScenario.ThenNginx("/bin/list")[2];
        var task = new JsonObject
        {
            ["family"] = "drift",
            ["requiresCompatibilities"] = new JsonArray("FARGATE"),
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "web",
                ["image"] = PodmanImages.DebianNginx,
                ["essential"] = true,
                ["entryPoint"] = new JsonArray("/bin/sh", "-c"),
                ["command"] = new JsonArray(script),
            }),
        };
        JsonObject injected = Inject(task);
        var definitions = injected["containerDefinitions"]!.AsArray();
        JsonNode sidecarDefinition = definitions.Single(c => c!["essential"]?.GetValue<bool>() == false)!;
        JsonNode app = definitions.Single(c => c!["name"]!.GetValue<string>() == "web")!;
        Assert.Equal(PodmanImages.Enforcer, sidecarDefinition["image"]!.GetValue<string>());

        using var sidecar = PodmanContainer.Start(sidecarDefinition["image"]!.GetValue<string>(), command: Strings(sidecarDefinition["command"]));
        int sidecarStatus = sidecar.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(sidecarStatus == 0, $"the sidecar exited {sidecarStatus}: the app's dependsOn SUCCESS would never start it\n{sidecar.Logs()}");

        using var container = PodmanContainer.Start(app["image"]!.GetValue<string>(), RunOptions(app, sidecar.Name), Strings(app["command"]));
        var logs = DriftScenario.WaitForReport(container);
        var pid1 = container.Processes().Single(p => p.Pid == 1);
        var write = container.Exec("sh", "-c", "echo x > /.microenforcer/x");

        DriftScenario.AssertRefusedInShell(logs, "/bin/list");
        Assert.True(pid1.Args.StartsWith("/.microenforcer/microenforcer run -- /bin/sh -c", StringComparison.Ordinal), $"PID 1 is {pid1}\n{logs}");
        Assert.True(write.ExitCode != 0 && write.Stderr.Contains("Read-only file system", StringComparison.Ordinal),
            $"the sidecar's volume is writable from the app: {write.ExitCode} {write.Stderr}");
    }

    [Fact]
    public void MissingEntryPointAndCommandComeFromTheRegistry()
    {
        // An image whose ENTRYPOINT and CMD are the workload (the drift scenario, then nginx), in a
        // real registry on loopback; the task definition names only the image. Setting an entry
        // point makes the runtime drop the image's CMD, so the injector must carry it over: if it
        // did not, `sh -c` would run with nothing to do and the scenario would never report.
        string context = Directory.CreateDirectory(Path.Combine(_dir, "image")).FullName;
        File.WriteAllText(Path.Combine(context, "Containerfile"), $"""
            FROM {PodmanImages.DebianNginx}
            ENTRYPOINT ["/bin/sh", "-c"]
            CMD [{JsonSerializer.Serialize(DriftScenario.ThenNginx("/bin/list")[2])}]
            """);
        const string local = "localhost/microenforcer-test-fargate-app:latest";
        Podman.Build(context, local);
        using var registry = new MicroEnforcer.Injector.Tests.Registry.RegistryServer("fargate");
        string remote = $"{registry.Host}/fargate-app:latest";
        MicroEnforcer.Injector.Tests.Registry.Tools.Run("skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "--retry-times", "0",
            $"containers-storage:{local}", $"docker://{remote}");
        Podman.Check(["tag", local, remote]); // what the ECS agent would pull, already here
        try
        {
            var task = new JsonObject
            {
                ["family"] = "drift-from-registry",
                ["containerDefinitions"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = remote, ["essential"] = true }),
            };
            JsonObject injected = Inject(task, "--insecure-registry", registry.Host);
            JsonNode app = injected["containerDefinitions"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "web")!;
            Assert.Equal(["/.microenforcer/microenforcer", "run", "--", "/bin/sh", "-c"], Strings(app["entryPoint"]));

            using var sidecar = PodmanContainer.Start(PodmanImages.Enforcer, command: ["version"]);
            Assert.Equal(0, sidecar.WaitForExit(TimeSpan.FromSeconds(60)));
            using var container = PodmanContainer.Start(remote, RunOptions(app, sidecar.Name), Strings(app["command"]));
            DriftScenario.AssertRefusedInShell(DriftScenario.WaitForReport(container), "/bin/list");
        }
        finally
        {
            Podman.Run(["rmi", remote]);
        }
    }

    /// <summary>`docker run` options the ECS agent derives from a container definition.</summary>
    private static List<string> RunOptions(JsonNode definition, string sidecarName)
    {
        var options = new List<string>();
        foreach (JsonNode? from in definition["volumesFrom"]!.AsArray())
        {
            Assert.Equal("microenforcer", from!["sourceContainer"]!.GetValue<string>());
            options.AddRange(["--volumes-from", sidecarName + (from["readOnly"]?.GetValue<bool>() == true ? ":ro" : "")]);
        }
        foreach (string capability in Strings(definition["linuxParameters"]?["capabilities"]?["add"]))
            options.AddRange(["--cap-add", capability]);
        foreach (string capability in Strings(definition["linuxParameters"]?["capabilities"]?["drop"]))
            options.AddRange(["--cap-drop", capability]);
        options.AddRange(["--entrypoint", JsonSerializer.Serialize(Strings(definition["entryPoint"]))]);
        return options;
    }

    /// <summary>The injector's command line, as users run it (the built assembly, with `dotnet`).</summary>
    private JsonObject Inject(JsonObject task, params string[] options)
    {
        string input = Path.Combine(_dir, "task-definition.json");
        string output = Path.Combine(_dir, "task-definition.injected.json");
        File.WriteAllText(input, task.ToJsonString());
        string injector = Path.Combine(AppContext.BaseDirectory, "microenforcer-injector.dll");
        var r = ProcessRunner.Run("dotnet", [injector, "fargate", "inject", "--in", input, "--out", output, "--image", PodmanImages.Enforcer, .. options], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"fargate inject failed with status {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return JsonNode.Parse(File.ReadAllText(output))!.AsObject();
    }

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];
}
