using MicroEnforcer.Injector.Registry;

namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// The four image controls applied to one workload: pure, given the settings in force, the
/// workload, what the registry said about its images, and the digest allow-list. Every finding is
/// returned, not only the first, so a user fixes a pod in one round. Fail closed: a rule that
/// needs the registry and cannot get an answer counts as violated, with the reason.
/// </summary>
public static class ImageControlCheck
{
    public const string RegistriesAllowed = "Registries Allowed";
    public const string UnregisteredImages = "Block Unregistered Images";
    public const string RunsAsRoot = "Block Non-compliant Images (runs as root)";
    public const string NotPinnedByDigest = "Block Non-compliant Images (not pinned by digest)";
    public const string MissingLabels = "Block Non-compliant Images (missing labels)";
    public const string VolumesBlocked = "Volumes Blocked";
    public const string NotAReference = "Image controls";

    /// <summary>The images whose config or digest some rule in force needs.</summary>
    public static IReadOnlyList<string> ImagesToResolve(EffectiveImageControls controls, Workload workload) =>
        [.. workload.Images
            .Where(u => controls.UnregisteredImages != ControlMode.Off || controls.MissingLabels != ControlMode.Off
                || (controls.RunsAsRoot != ControlMode.Off && UserOverride(u) is null))
            .Select(u => u.Image)
            .Where(i => TryParse(i) is not null)
            .Distinct(StringComparer.Ordinal)];

    public static List<Violation> Check(EffectiveImageControls controls, Workload workload, IReadOnlyDictionary<string, ImageLookup> lookups, DigestAllowList.Snapshot? allowList)
    {
        var found = new List<Violation>();
        var allowed = new AllowedRegistries(controls.Registries);
        foreach (ImageUse use in workload.Images)
        {
            ImageReference? reference = TryParse(use.Image);
            if (reference is null)
            {
                // Nothing can be said of an image that is not a reference: every rule in force refuses it.
                ControlMode strictest = new[] { controls.RegistriesAllowed, controls.UnregisteredImages, controls.RunsAsRoot, controls.NotPinnedByDigest, controls.MissingLabels }.Max();
                if (strictest != ControlMode.Off)
                    found.Add(new(NotAReference, strictest, $"{use.Where}: '{use.Image}' is not an image reference"));
                continue;
            }
            ImageLookup? lookup = lookups.GetValueOrDefault(use.Image);
            if (controls.RegistriesAllowed != ControlMode.Off && !allowed.Allows(reference))
                found.Add(new(RegistriesAllowed, controls.RegistriesAllowed, $"{use.Where}: image {use.Image} is from registry {reference.Registry}, which is not allowed (allowed: {allowed.Describe()})"));
            if (controls.UnregisteredImages != ControlMode.Off)
                CheckRegistered(controls, use, reference, lookup, allowList, found);
            if (controls.RunsAsRoot != ControlMode.Off)
                CheckUser(controls.RunsAsRoot, use, lookup, found);
            if (controls.NotPinnedByDigest != ControlMode.Off && reference.Digest is null)
                found.Add(new(NotPinnedByDigest, controls.NotPinnedByDigest, $"{use.Where}: image {use.Image} is not pinned by digest (tag :{reference.Tag}, not @sha256:...)"));
            if (controls.MissingLabels != ControlMode.Off && controls.RequiredLabels.Count > 0)
            {
                if (lookup?.Config is not { } config)
                {
                    found.Add(new(MissingLabels, controls.MissingLabels, $"{use.Where}: cannot read the labels of image {use.Image}: {lookup?.Error ?? "not resolved"}"));
                }
                else
                {
                    var missing = controls.RequiredLabels.Where(l => config.Labels?.ContainsKey(l) != true).ToList();
                    if (missing.Count > 0)
                        found.Add(new(MissingLabels, controls.MissingLabels, $"{use.Where}: image {use.Image} lacks the required label(s) {string.Join(", ", missing)}"));
                }
            }
        }
        if (controls.VolumesBlocked != ControlMode.Off)
        {
            var rules = new HostPathRules(controls.HostPaths, controls.HostPathPrefixes);
            foreach (VolumeUse volume in workload.Volumes)
            {
                foreach (string type in volume.Types.Where(t => controls.VolumeTypes.Contains(t, StringComparer.OrdinalIgnoreCase)))
                    found.Add(new(VolumesBlocked, controls.VolumesBlocked, $"volume {volume.Name}: type {type} is blocked" + (volume.HostPath is null ? "" : $" (path {volume.HostPath})")));
                if (volume.HostPath is not null && rules.Blocked(volume.HostPath) is { } why)
                    found.Add(new(VolumesBlocked, controls.VolumesBlocked, $"volume {volume.Name}: host path {volume.HostPath} {why}"));
            }
        }
        return found;
    }

    private static void CheckRegistered(EffectiveImageControls controls, ImageUse use, ImageReference reference, ImageLookup? lookup, DigestAllowList.Snapshot? allowList, List<Violation> found)
    {
        ControlMode mode = controls.UnregisteredImages;
        if (allowList is null)
        {
            found.Add(new(UnregisteredImages, mode, $"{use.Where}: image {use.Image} cannot be checked: no allow-list file is configured (UnregisteredImages:AllowListPath)"));
            return;
        }
        if (lookup?.Config is not { } config)
        {
            found.Add(new(UnregisteredImages, mode, $"{use.Where}: image {use.Image} cannot be resolved to a digest: {lookup?.Error ?? "not resolved"}"));
            return;
        }
        string[] digests = [.. new[] { config.Digest, config.PlatformDigest, reference.Digest }.OfType<string>().Distinct(StringComparer.Ordinal)];
        if (!allowList.Allows(reference, digests))
        {
            string problem = allowList.Problem is null ? "" : $" ({allowList.Problem})";
            found.Add(new(UnregisteredImages, mode, $"{use.Where}: image {use.Image} resolves to {(digests.Length == 0 ? "no digest" : string.Join(" / ", digests))}, which is not in the allow-list{problem}"));
        }
    }

    private static void CheckUser(ControlMode mode, ImageUse use, ImageLookup? lookup, List<Violation> found)
    {
        if (UserOverride(use) is { } decided)
        {
            if (decided.Root)
                found.Add(new(RunsAsRoot, mode, $"{use.Where}: runs as root ({decided.Why})"));
            return;
        }
        if (lookup?.Config is not { } config)
        {
            found.Add(new(RunsAsRoot, mode, $"{use.Where}: cannot read the user of image {use.Image}: {lookup?.Error ?? "not resolved"}"));
            return;
        }
        if (IsRoot(config.User))
        {
            string user = string.IsNullOrEmpty(config.User) ? "no User (root)" : $"User '{config.User}'";
            found.Add(new(RunsAsRoot, mode, $"{use.Where}: image {use.Image} runs as root ({user}) and the workload sets no non-root user"));
        }
    }

    /// <summary>
    /// The workload's own word on the user, which the runtime applies over the image's: an explicit
    /// user (root or not), or runAsNonRoot, with which the kubelet refuses to start a root image.
    /// Null: the image's User decides.
    /// </summary>
    private static (bool Root, string Why)? UserOverride(ImageUse use)
    {
        if (!string.IsNullOrEmpty(use.User))
            return (IsRoot(use.User), $"the workload sets user {use.User}");
        if (use.RunAsNonRoot)
            return (false, "runAsNonRoot");
        return null;
    }

    /// <summary>`""`, `0`, `root`, `0:x`, `root:x`: root. A name other than root is taken as not
    /// root (the image's /etc/passwd is not read).</summary>
    internal static bool IsRoot(string? user)
    {
        if (string.IsNullOrWhiteSpace(user))
            return true;
        string uid = user.Split(':')[0].Trim();
        return uid is "" or "root" || (uid.All(char.IsDigit) && long.TryParse(uid, System.Globalization.CultureInfo.InvariantCulture, out long n) && n == 0);
    }

    private static ImageReference? TryParse(string image)
    {
        try
        {
            return ImageReference.Parse(image);
        }
        catch (ImageResolutionException)
        {
            return null;
        }
    }
}
