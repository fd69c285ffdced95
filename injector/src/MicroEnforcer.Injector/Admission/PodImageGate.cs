using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MicroEnforcer.Injector.ImageControls;
using MicroEnforcer.Injector.Registry;
using Microsoft.Extensions.Logging;

namespace MicroEnforcer.Injector.Admission;

/// <summary>
/// The image controls at admission: a pod (CREATE, or the containers an UPDATE gives a new image)
/// checked against the settings in force for its namespace, its images looked up with its pull
/// secrets when a rule needs the registry. Every pod the webhook sees is checked, injected or not.
/// </summary>
internal sealed partial class PodImageGate(ImageConfigResolver resolver, InjectorOptions options, ILogger logger)
{
    private readonly ConcurrentDictionary<string, DigestAllowList> _allowLists = new(StringComparer.Ordinal);

    /// <summary>The verdict, and the lookups made (the injection reuses them).</summary>
    public async Task<(ImageControlVerdict Verdict, IReadOnlyDictionary<string, ImageLookup> Lookups)> CheckAsync(
        string uid, JsonObject pod, JsonObject? oldPod, string ns, string name, CancellationToken cancel)
    {
        EffectiveImageControls controls = options.ImageControls.For(ns);
        if (!controls.AnyOn)
            return (ImageControlVerdict.None, new Dictionary<string, ImageLookup>());
        Workload workload = Workload.FromPod(pod, options.EnforcerImage, oldPod);
        IReadOnlyDictionary<string, ImageLookup> lookups = controls.NeedsRegistry
            ? await resolver.LookUpAsync(pod, ns, ImageControlCheck.ImagesToResolve(controls, workload), cancel).ConfigureAwait(false)
            : new Dictionary<string, ImageLookup>();
        DigestAllowList.Snapshot? allowList = controls.UnregisteredImages != ControlMode.Off && controls.AllowListPath is { } path
            ? AllowList(path).Current()
            : null;
        var verdict = new ImageControlVerdict(ImageControlCheck.Check(controls, workload, lookups, allowList));
        foreach (Violation violation in verdict.Violations)
            LogViolation(logger, uid, ns, name, violation.Mode == ControlMode.Enforce ? "refused" : "warned", violation.ToString());
        return (verdict, lookups);
    }

    private DigestAllowList AllowList(string path) =>
        _allowLists.GetOrAdd(path, p => new DigestAllowList(p, TimeSpan.FromSeconds(options.ImageControls.AllowListReloadSeconds)));
}
