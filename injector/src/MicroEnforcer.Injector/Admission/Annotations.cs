namespace MicroEnforcer.Injector.Admission;

/// <summary>The pod annotations and namespace label the injector reads and writes.</summary>
internal static class Annotations
{
    public const string Prefix = "microenforcer.io/";

    /// <summary>On a pod: `enabled` opts it in, `disabled` opts it out (also in an enabled namespace).
    /// As a namespace label (`enabled`): every pod of the namespace is injected unless it opts out.</summary>
    public const string Inject = Prefix + "inject";

    /// <summary>Name of a ConfigMap in the pod's namespace whose key `policy.yaml` is the policy.</summary>
    public const string Policy = Prefix + "policy";

    /// <summary>`deny`: refuse the pod when an image's ENTRYPOINT/CMD cannot be resolved (default: admit unmodified, with a warning).</summary>
    public const string ResolveFailure = Prefix + "resolve-failure";

    /// <summary>Written by the injector (value: the enforcer image); its presence means "already injected".</summary>
    public const string Injected = Prefix + "injected";

    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
}
