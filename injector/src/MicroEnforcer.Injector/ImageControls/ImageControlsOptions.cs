namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// The four image controls (section `Injector:ImageControls`, see injector/README.md "Image
/// controls at admission"). Every member is nullable: in a namespace's entry under
/// <see cref="ImageControlsOptions.Namespaces"/> an unset key means "as cluster-wide", so an override names only what
/// it changes. Everything is off by default.
/// </summary>
public class ImageControlSettings
{
    public RegistriesAllowedOptions? RegistriesAllowed { get; set; }

    public UnregisteredImagesOptions? UnregisteredImages { get; set; }

    public NonCompliantImagesOptions? NonCompliantImages { get; set; }

    public VolumesBlockedOptions? VolumesBlocked { get; set; }
}

/// <summary>The cluster-wide settings, and per-namespace overrides kept in the injector's own
/// configuration (not in namespace labels, which a namespace's own admins could change).</summary>
public sealed class ImageControlsOptions : ImageControlSettings
{
    public Dictionary<string, ImageControlSettings> Namespaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often a digest allow-list file is checked for changes (0: at every review).</summary>
    public int AllowListReloadSeconds { get; set; } = 10;

    /// <summary>The settings in force for a namespace (null: a task definition, no namespace).</summary>
    public EffectiveImageControls For(string? ns)
    {
        ImageControlSettings? o = ns is not null && Namespaces.TryGetValue(ns, out var entry) ? entry : null;
        return new EffectiveImageControls(
            o?.RegistriesAllowed?.Mode ?? RegistriesAllowed?.Mode ?? ControlMode.Off,
            o?.RegistriesAllowed?.Registries ?? RegistriesAllowed?.Registries ?? [],
            o?.UnregisteredImages?.Mode ?? UnregisteredImages?.Mode ?? ControlMode.Off,
            o?.UnregisteredImages?.AllowListPath ?? UnregisteredImages?.AllowListPath,
            o?.NonCompliantImages?.RunsAsRoot ?? NonCompliantImages?.RunsAsRoot ?? ControlMode.Off,
            o?.NonCompliantImages?.NotPinnedByDigest ?? NonCompliantImages?.NotPinnedByDigest ?? ControlMode.Off,
            o?.NonCompliantImages?.MissingLabels ?? NonCompliantImages?.MissingLabels ?? ControlMode.Off,
            o?.NonCompliantImages?.RequiredLabels ?? NonCompliantImages?.RequiredLabels ?? [],
            o?.VolumesBlocked?.Mode ?? VolumesBlocked?.Mode ?? ControlMode.Off,
            o?.VolumesBlocked?.Types ?? VolumesBlocked?.Types ?? [],
            o?.VolumesBlocked?.HostPaths ?? VolumesBlocked?.HostPaths ?? [],
            o?.VolumesBlocked?.HostPathPrefixes ?? VolumesBlocked?.HostPathPrefixes ?? []);
    }
}

/// <summary>Registries Allowed: images from other registries are refused (or warned about).</summary>
public sealed class RegistriesAllowedOptions
{
    public ControlMode? Mode { get; set; }

    /// <summary>`host[:port]`, or `host[:port]/repository-prefix` (whole path components).</summary>
    public List<string>? Registries { get; set; }
}

/// <summary>Block Unregistered Images: only images whose resolved digest is in the allow-list file.</summary>
public sealed class UnregisteredImagesOptions
{
    public ControlMode? Mode { get; set; }

    /// <summary>One `sha256:...` or `registry/repository@sha256:...` a line, `#` comments (a mounted ConfigMap).</summary>
    public string? AllowListPath { get; set; }
}

/// <summary>Block Non-compliant Images: one mode per rule.</summary>
public sealed class NonCompliantImagesOptions
{
    public ControlMode? RunsAsRoot { get; set; }

    public ControlMode? NotPinnedByDigest { get; set; }

    public ControlMode? MissingLabels { get; set; }

    public List<string>? RequiredLabels { get; set; }
}

/// <summary>Volumes Blocked: volume types and host paths a workload may not mount.</summary>
public sealed class VolumesBlockedOptions
{
    public ControlMode? Mode { get; set; }

    /// <summary>Pod volume source keys (`hostPath`, `nfs`, ...); ECS: `hostPath` for a host.sourcePath volume, else its key.</summary>
    public List<string>? Types { get; set; }

    /// <summary>Refused when mounted, or when a directory above them is (it would expose them).</summary>
    public List<string>? HostPaths { get; set; }

    /// <summary>As HostPaths, and also anything beneath them.</summary>
    public List<string>? HostPathPrefixes { get; set; }
}
