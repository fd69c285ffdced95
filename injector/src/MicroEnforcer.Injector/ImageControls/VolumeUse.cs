namespace MicroEnforcer.Injector.ImageControls;

/// <summary>One volume a workload declares: its source types (pod: the keys besides `name`) and host path.</summary>
public sealed record VolumeUse(string Name, IReadOnlyList<string> Types, string? HostPath);
