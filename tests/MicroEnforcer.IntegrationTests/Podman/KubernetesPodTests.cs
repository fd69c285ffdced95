using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector;
using MicroEnforcer.Injector.Admission;
using MicroEnforcer.Injector.Registry;
using MicroEnforcer.Injector.Tests;
using Xunit;

namespace MicroEnforcer.IntegrationTests.Podman;

/// <summary>
/// A pod as the Kubernetes webhook injects it (PodPatchBuilder's patch, applied), run in podman
/// the way the kubelet runs it: the emptyDir is a host directory (mode 0777, as the kubelet makes
/// it), the init container from the enforcer image runs `microenforcer install` into it with its
/// securityContext (uid 65532, read-only root, no capabilities), then the app container mounts it
/// read-only at /.microenforcer with its rewritten command and SYS_PTRACE. The workload's drift
/// is blocked, and so is drift in a `kubectl exec` whose command the webhook wrapped.
/// </summary>
[Collection(PodmanCollection.Name)]
public sealed class KubernetesPodTests : IDisposable
{
    private readonly string _emptyDir = Directory.CreateTempSubdirectory("microenforcer-emptydir-").FullName;
    private readonly string _configMap = Directory.CreateTempSubdirectory("microenforcer-configmap-").FullName;

    public KubernetesPodTests(PodmanImages images)
    {
        _ = images; // the fixture builds the images
        File.SetUnixFileMode(_emptyDir, (UnixFileMode)0x1FF);
    }

    public void Dispose()
    {
        Directory.Delete(_emptyDir, recursive: true);
        Directory.Delete(_configMap, recursive: true);
    }

    [Fact]
    public void InjectedPodBlocksDriftInTheWorkloadAndInWrappedExecSessions()
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "web",
                ["annotations"] = new JsonObject { [Annotations.Inject] = Annotations.Enabled, [Annotations.Policy] = "nginx-policy" },
            },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "web",
                    ["image"] = PodmanImages.DebianNginx,
                    ["command"] = new JsonArray("/bin/sh", "-c"),
                    ["args"] = new JsonArray(DriftScenario.ThenNginx("/bin/list")[2]),
                }),
            },
        };
        var options = new InjectorOptions { EnforcerImage = PodmanImages.Enforcer };
        JsonObject injected = JsonPatchApplier.Apply(pod, PodPatchBuilder.Build(pod, options, new Dictionary<int, ImageConfig>()).ToJson());
        JsonNode init = injected["spec"]!["initContainers"]![0]!;
        JsonNode app = injected["spec"]!["containers"]![0]!;

        using (var installer = PodmanContainer.Start(init["image"]!.GetValue<string>(), ContainerOptions(init, injected), Strings(init["args"])))
        {
            int status = installer.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(status == 0, $"the init container exited {status}\n{installer.Logs()}");
        }
        Assert.Equal(File.ReadAllBytes(Harness.Prerequisites.EnforcerBinary), File.ReadAllBytes(Path.Combine(_emptyDir, "microenforcer")));

        using var container = PodmanContainer.Start(app["image"]!.GetValue<string>(), ContainerOptions(app, injected), Strings(app["args"]));
        var logs = DriftScenario.WaitForReport(container);
        DriftScenario.AssertRefusedInShell(logs, "/bin/list");
        var pid1 = container.Processes().Single(p => p.Pid == 1);
        Assert.True(pid1.Args.StartsWith("/.microenforcer/microenforcer run --policy /.microenforcer-policy/policy.yaml -- /bin/sh -c", StringComparison.Ordinal), $"PID 1 is {pid1}\n{logs}");
        Assert.True(logs.Stderr.Contains("policy 'nginx' loaded from /.microenforcer-policy/policy.yaml", StringComparison.Ordinal), $"the ConfigMap's policy (samples/kubernetes) was not used\n{logs}");

        // kubectl exec, with the command as the webhook rewrites the PodExecOptions.
        // The session itself runs the launcher from the volume (allowed: it is PID 1's own binary,
        // untouched); a copy of the launcher is drift like any other copy.
        var execOptions = new JsonObject { ["command"] = new JsonArray("sh", "-c",
            "cp /bin/ls /bin/list2; /bin/list2 /; echo \"list2=$?\"; cp /.microenforcer/microenforcer /tmp/me; /tmp/me version; echo \"me=$?\"") };
        JsonObject wrapped = JsonPatchApplier.Apply(execOptions, ExecPatch.Build(execOptions)!.ToJson());
        var r = container.Exec([.. Strings(wrapped["command"])]);
        var after = container.WaitForLogs(l => l.EventsFor("drift", "/bin/list2").Any(), TimeSpan.FromSeconds(5));
        string seen = $"--- exec: {r.ExitCode}\n{r.Stdout}\n{r.Stderr}\n{after}";
        Assert.True(r.Stdout.Contains("list2=126", StringComparison.Ordinal), $"the copy was not refused in the wrapped exec session\n{seen}");
        Assert.True(r.Stderr.Contains("Permission denied", StringComparison.Ordinal), seen);
        DriftScenario.AssertAuditedAsBlocked(after, "/bin/list2");
        Assert.True(r.Stdout.Contains("me=126", StringComparison.Ordinal), $"a copy of the launcher ran\n{seen}");
        Assert.DoesNotContain("microenforcer 0.", r.Stdout, StringComparison.Ordinal);
    }

    /// <summary>`podman run` options the kubelet derives from a container spec (the parts the injector writes).</summary>
    private List<string> ContainerOptions(JsonNode container, JsonObject pod)
    {
        var options = new List<string>();
        foreach (JsonNode? mount in container["volumeMounts"]!.AsArray())
        {
            string name = mount!["name"]!.GetValue<string>();
            JsonNode volume = pod["spec"]!["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == name)!;
            string source = volume["emptyDir"] is not null ? _emptyDir : ConfigMap(volume["configMap"]!);
            options.AddRange(["-v", $"{source}:{mount["mountPath"]!.GetValue<string>()}" + (mount["readOnly"]?.GetValue<bool>() == true ? ":ro" : "")]);
        }
        JsonNode? security = container["securityContext"];
        if (security?["runAsUser"] is { } user)
            options.AddRange(["--user", user.ToJsonString()]);
        if (security?["readOnlyRootFilesystem"]?.GetValue<bool>() == true)
            options.Add("--read-only");
        if (security?["allowPrivilegeEscalation"]?.GetValue<bool>() == false)
            options.AddRange(["--security-opt", "no-new-privileges"]);
        foreach (string capability in Strings(security?["capabilities"]?["drop"]))
            options.AddRange(["--cap-drop", capability]);
        foreach (string capability in Strings(security?["capabilities"]?["add"]))
            options.AddRange(["--cap-add", capability]);
        // Kubernetes `command` replaces the image's ENTRYPOINT; `args` (the run arguments) its CMD.
        options.AddRange(["--entrypoint", JsonSerializer.Serialize(Strings(container["command"]))]);
        return options;
    }

    /// <summary>The sample ConfigMap (samples/kubernetes: nginx-policy from policy.yaml) as the kubelet projects its items.</summary>
    private string ConfigMap(JsonNode configMap)
    {
        Assert.Equal("nginx-policy", configMap["name"]!.GetValue<string>());
        foreach (JsonNode? item in configMap["items"]!.AsArray())
        {
            Assert.Equal("policy.yaml", item!["key"]!.GetValue<string>()); // the key configMapGenerator gives the file
            File.Copy(Path.Combine(Harness.Prerequisites.RepositoryRoot, "samples", "kubernetes", "policy.yaml"), Path.Combine(_configMap, item["path"]!.GetValue<string>()), overwrite: true);
        }
        return _configMap;
    }

    private static List<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];
}
