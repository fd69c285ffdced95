namespace MicroEnforcer.Injector.ImageControls;

/// <summary>One image a workload runs: where (`container web`, `initContainer setup`,
/// `ephemeralContainer debugger`), which image, and the user the workload itself asks for.</summary>
/// <param name="User">The user the pod or task definition sets (runAsUser, ECS `user`), which wins over the image's.</param>
/// <param name="RunAsNonRoot">The pod asks the kubelet to refuse a root user at start.</param>
public sealed record ImageUse(string Kind, string Name, string Image, string? User, bool RunAsNonRoot)
{
    public string Where => $"{Kind} {Name}";
}
