namespace MicroEnforcer.Policy;

/// <summary>The policy used when none is given, embedded in the binary from <c>default-policy.yaml</c>.</summary>
public static class DefaultPolicy
{
    public const string ResourceName = "default-policy.yaml";

    private static string? s_text;

    /// <summary>The commented YAML, e.g. for printing as a starting point for a custom policy.</summary>
    public static string Text => s_text ??= ReadResource();

    /// <summary>The default policy, read with the controls' <paramref name="sections"/>.</summary>
    public static RuntimePolicy Load(IReadOnlyList<PolicySection> sections)
    {
        PolicyLoadResult result = PolicyLoader.Parse(Text, ResourceName, sections);

        // The default ships inside the binary and is covered by tests: failing here is a build defect.
        return result.Succeeded
            ? result.Policy
            : throw new InvalidOperationException($"the embedded default policy is invalid: {string.Join("; ", result.Errors)}");
    }

    private static string ReadResource()
    {
        using Stream stream = typeof(DefaultPolicy).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource '{ResourceName}' is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
