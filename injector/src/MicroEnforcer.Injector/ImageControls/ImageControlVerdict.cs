namespace MicroEnforcer.Injector.ImageControls;

/// <summary>
/// The image controls' findings for one workload, as the webhook and `fargate inject` report
/// them: refused when any finding is enforced (the message names every enforced finding), and a
/// warning for each dry-run finding (which Kubernetes shows to kubectl users).
/// </summary>
public sealed record ImageControlVerdict(IReadOnlyList<Violation> Violations)
{
    public static ImageControlVerdict None { get; } = new([]);

    public bool Refused => Violations.Any(v => v.Mode == ControlMode.Enforce);

    public string RefusalMessage =>
        "microenforcer image controls refused it: " + string.Join("; ", Violations.Where(v => v.Mode == ControlMode.Enforce));

    public IReadOnlyList<string> Warnings =>
        [.. Violations.Where(v => v.Mode == ControlMode.Warn).Select(v => $"microenforcer (dry run): {v}")];
}
