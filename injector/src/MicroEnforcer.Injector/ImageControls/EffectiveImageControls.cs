namespace MicroEnforcer.Injector.ImageControls;

/// <summary>The settings in force for one workload, every default applied.</summary>
public sealed record EffectiveImageControls(
    ControlMode RegistriesAllowed, IReadOnlyList<string> Registries,
    ControlMode UnregisteredImages, string? AllowListPath,
    ControlMode RunsAsRoot, ControlMode NotPinnedByDigest, ControlMode MissingLabels, IReadOnlyList<string> RequiredLabels,
    ControlMode VolumesBlocked, IReadOnlyList<string> VolumeTypes, IReadOnlyList<string> HostPaths, IReadOnlyList<string> HostPathPrefixes)
{
    public bool AnyOn => RegistriesAllowed != ControlMode.Off || UnregisteredImages != ControlMode.Off || RunsAsRoot != ControlMode.Off
        || NotPinnedByDigest != ControlMode.Off || MissingLabels != ControlMode.Off || VolumesBlocked != ControlMode.Off;

    /// <summary>Whether any rule on reads the image from its registry.</summary>
    public bool NeedsRegistry => UnregisteredImages != ControlMode.Off || RunsAsRoot != ControlMode.Off || MissingLabels != ControlMode.Off;
}
