using System.Text.Json;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.ImageControls;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Configuration;

namespace MicroEnforcer.Injector.Fargate;

/// <summary>
/// `microenforcer-injector fargate inject --in TASK.json --out INJECTED.json [options]`: reads a
/// task definition (or `aws ecs describe-task-definition` output), resolves the ENTRYPOINT and
/// CMD of containers without an entryPoint from their registry, writes the injected definition
/// ready for `aws ecs register-task-definition --cli-input-json file://INJECTED.json`.
/// </summary>
internal static class FargateInjectCommand
{
    public const string Usage = """
        usage: microenforcer-injector fargate inject --in TASK.json --out INJECTED.json
                 [--image IMAGE] [--policy PATH] [--registry-auth DOCKER-CONFIG.json]
                 [--insecure-registry HOST[:PORT]]... [--platform OS/ARCH] [--image-controls CONTROLS.json]
                 [--audit-otlp-endpoint URL] [--audit-falco-endpoint URL]
                 [--audit-syslog-address HOST:PORT] [--audit-syslog-tls true|false]
                 [--audit-ca-file PATH] [--audit-bearer-token-file PATH]

          --image              the enforcer image (default ghcr.io/microenforcer/microenforcer:latest)
          --policy             policy file path inside the app containers (default: the built-in policy)
          --registry-auth      docker config JSON with registry credentials (auths), for private images
          --insecure-registry  a registry spoken to over plain HTTP
          --platform           platform to pick from image indexes (default: the task's runtimePlatform, else linux/amd64)
          --audit-...          audit sinks of every container, beside stderr: set as MICROENFORCER_AUDIT_OTLP_ENDPOINT,
                               _FALCO_ENDPOINT, _SYSLOG_ADDRESS, _SYSLOG_TLS, _CA_FILE, _BEARER_TOKEN_FILE (paths are
                               inside the containers); a variable a container already sets is kept
          --image-controls     the image controls, as the webhook's Injector:ImageControls section (JSON); a
                               definition they refuse is not written (exit 2), dry-run findings are warnings
        """;

    /// <summary>Exit status when the image controls refuse the task definition.</summary>
    public const int Refused = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        string? input = null, output = null, policy = null, auth = null, platformText = null, controlsFile = null;
        var options = new InjectorOptions { RegistryTimeoutSeconds = 30 };
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                switch (args[i])
                {
                    case "--in": input = Value(); break;
                    case "--out": output = Value(); break;
                    case "--image": options.EnforcerImage = Value(); break;
                    case "--policy": policy = Value(); break;
                    case "--registry-auth": auth = Value(); break;
                    case "--insecure-registry": options.InsecureRegistries.Add(Value()); break;
                    case "--platform": platformText = Value(); break;
                    case "--audit-otlp-endpoint": options.Audit.OtlpEndpoint = Value(); break;
                    case "--audit-falco-endpoint": options.Audit.FalcoEndpoint = Value(); break;
                    case "--audit-syslog-address": options.Audit.SyslogAddress = Value(); break;
                    case "--audit-syslog-tls":
                        options.Audit.SyslogTls = Value() switch
                        {
                            "true" => true,
                            "false" => false,
                            var other => throw new ArgumentException($"--audit-syslog-tls takes true or false, not '{other}'"),
                        };
                        break;
                    case "--audit-ca-file": options.Audit.CaFile = Value(); break;
                    case "--audit-bearer-token-file": options.Audit.BearerTokenFile = Value(); break;
                    case "--image-controls": controlsFile = Value(); break;
                    case "-h" or "--help": await stdout.WriteLineAsync(Usage).ConfigureAwait(false); return 0;
                    default: throw new ArgumentException($"unknown argument '{args[i]}'");
                }
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"microenforcer-injector: {e.Message}\n{Usage}").ConfigureAwait(false);
                return 64;
            }
        }
        if (input is null || output is null)
        {
            await stderr.WriteLineAsync($"microenforcer-injector: --in and --out are required\n{Usage}").ConfigureAwait(false);
            return 64;
        }

        try
        {
            JsonObject task = TaskDefinitionInjector.Unwrap(JsonNode.Parse(await File.ReadAllTextAsync(input, cancel).ConfigureAwait(false)) as JsonObject
                ?? throw new FormatException($"{input} is not a JSON object"));
            if (controlsFile is not null)
                new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(controlsFile), optional: false).Build().Bind(options.ImageControls, o => o.ErrorOnUnknownConfiguration = true);
            Platform platform = platformText is null ? TaskDefinitionInjector.PlatformOf(task) : Platform.Parse(platformText);
            DockerConfig credentials = auth is null ? DockerConfig.Empty : DockerConfig.Parse(await File.ReadAllTextAsync(auth, cancel).ConfigureAwait(false));
            using var http = new HttpClient();
            var registry = new RegistryClient(http, options);

            // The image controls first: a definition they refuse is not written at all.
            var (verdict, lookups) = await CheckImagesAsync(task, options, registry, platform, credentials, cancel).ConfigureAwait(false);
            foreach (string warning in verdict.Warnings)
                await stderr.WriteLineAsync($"microenforcer-injector: warning: {warning}").ConfigureAwait(false);
            if (verdict.Refused)
            {
                foreach (Violation violation in verdict.Violations.Where(v => v.Mode == ControlMode.Enforce))
                    await stderr.WriteLineAsync($"microenforcer-injector: refused: {violation}").ConfigureAwait(false);
                await stderr.WriteLineAsync($"microenforcer-injector: {input} refused by the image controls; {output} not written").ConfigureAwait(false);
                return Refused;
            }

            if (TaskDefinitionInjector.IsInjected(task))
            {
                await stderr.WriteLineAsync($"microenforcer-injector: {input} already has a '{TaskDefinitionInjector.SidecarName}' container; written unchanged").ConfigureAwait(false);
                await WriteAsync(output, task, cancel).ConfigureAwait(false);
                return 0;
            }
            foreach (JsonNode? definition in task["containerDefinitions"] as JsonArray ?? [])
            {
                // ECS's init (tini) becomes PID 1 and the enforcer its child: it still enforces its
                // own process tree, but is not PID 1 (see docs/limits.md).
                if (definition?["linuxParameters"]?["initProcessEnabled"] is JsonValue init && init.TryGetValue(out bool enabled) && enabled)
                    await stderr.WriteLineAsync($"microenforcer-injector: warning: container {definition["name"]} has linuxParameters.initProcessEnabled: true; ECS's init will be PID 1, not the enforcer (set it to false to have the enforcer at PID 1)").ConfigureAwait(false);
            }
            var containers = (JsonArray)task["containerDefinitions"]!;
            var configs = new Dictionary<int, ImageConfig>();
            foreach (int i in TaskDefinitionInjector.ContainersNeedingImageConfig(task))
            {
                string image = containers[i]?["image"]?.GetValue<string>() ?? throw new FormatException($"container {containers[i]?["name"]} has no image");
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                budget.CancelAfter(TimeSpan.FromSeconds(30));
                configs[i] = lookups.GetValueOrDefault(image) is { } lookup
                    ? lookup.Config ?? throw new ImageResolutionException(lookup.Error ?? $"{image} was not resolved")
                    : await registry.ResolveAsync(image, platform, credentials, budget.Token).ConfigureAwait(false);
                await stderr.WriteLineAsync($"microenforcer-injector: {containers[i]?["name"]}: {image} ({platform}): ENTRYPOINT {Show(configs[i].Entrypoint)}, CMD {Show(configs[i].Cmd)}").ConfigureAwait(false);
            }
            JsonObject injected = TaskDefinitionInjector.Inject(task, options.EnforcerImage, policy, configs, options.Audit);
            await WriteAsync(output, injected, cancel).ConfigureAwait(false);
            await stdout.WriteLineAsync($"wrote {output}: {containers.Count} container(s) under the enforcer, sidecar '{TaskDefinitionInjector.SidecarName}' from {options.EnforcerImage}").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is ImageResolutionException or FormatException or JsonException or IOException or InvalidDataException or InvalidOperationException or OperationCanceledException)
        {
            await stderr.WriteLineAsync($"microenforcer-injector: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The image controls (options.ImageControls, no namespace) on the task definition's images and volumes.</summary>
    private static async Task<(ImageControlVerdict Verdict, Dictionary<string, ImageLookup> Lookups)> CheckImagesAsync(
        JsonObject task, InjectorOptions options, RegistryClient registry, Platform platform, DockerConfig credentials, CancellationToken cancel)
    {
        var lookups = new Dictionary<string, ImageLookup>(StringComparer.Ordinal);
        EffectiveImageControls controls = options.ImageControls.For(null);
        if (!controls.AnyOn)
            return (ImageControlVerdict.None, lookups);
        Workload workload = Workload.FromTaskDefinition(task, options.EnforcerImage);
        foreach (string image in ImageControlCheck.ImagesToResolve(controls, workload))
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            budget.CancelAfter(TimeSpan.FromSeconds(options.RegistryTimeoutSeconds));
            try
            {
                lookups[image] = new ImageLookup(await registry.ResolveAsync(image, platform, credentials, budget.Token).ConfigureAwait(false), null);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                lookups[image] = new ImageLookup(null, $"resolving {image} took longer than {options.RegistryTimeoutSeconds} s");
            }
            catch (ImageResolutionException e)
            {
                lookups[image] = new ImageLookup(null, e.Message);
            }
        }
        DigestAllowList.Snapshot? allowList = controls.UnregisteredImages != ControlMode.Off && controls.AllowListPath is { } path
            ? new DigestAllowList(path, TimeSpan.Zero).Current()
            : null;
        return (new ImageControlVerdict(ImageControlCheck.Check(controls, workload, lookups, allowList)), lookups);
    }

    private static string Show(IReadOnlyList<string>? items) => items is null ? "(none)" : JsonSerializer.Serialize(items);

    private static Task WriteAsync(string path, JsonObject task, CancellationToken cancel) =>
        File.WriteAllTextAsync(path, task.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n", cancel);
}
