using MicroEnforcer.Policy.Yaml;

namespace MicroEnforcer.Policy;

/// <summary>Reads and validates policy files (YAML, or JSON since JSON is YAML flow syntax).</summary>
public static class PolicyLoader
{
    /// <summary>The only apiVersion this build understands.</summary>
    public const string ApiVersion = "microenforcer.dev/v1";

    /// <summary>The kind of document a policy file holds.</summary>
    public const string Kind = "RuntimePolicy";

    /// <summary>Loads the policy at <paramref name="path"/>, whose controls are <paramref name="sections"/>; errors name the path as given.</summary>
    public static PolicyLoadResult LoadFile(string path, IReadOnlyList<PolicySection> sections)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return FileError(path ?? string.Empty, "no policy file path was given");
        }

        if (Directory.Exists(path))
        {
            return FileError(path, "the path is a directory, not a policy file");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return FileError(path, "policy file not found");
        }
        catch (UnauthorizedAccessException)
        {
            return FileError(path, "permission denied reading the policy file");
        }
        catch (IOException ex)
        {
            return FileError(path, $"cannot read the policy file: {ex.Message}");
        }

        return Parse(text, path, sections);
    }

    /// <summary>Parses and validates policy <paramref name="text"/>; <paramref name="source"/> names it in errors.</summary>
    public static PolicyLoadResult Parse(string text, string source, IReadOnlyList<PolicySection> sections)
    {
        YamlNode? root;
        try
        {
            root = YamlParser.Parse(text);
        }
        catch (YamlException ex)
        {
            string field = ex.Path.Length == 0 ? "(syntax)" : ex.Path;
            return PolicyLoadResult.Failure([new PolicyError(source, ex.Line, ex.Column, field, ex.Message)]);
        }

        return PolicyBinder.Bind(root, source, sections);
    }

    private static PolicyLoadResult FileError(string path, string message) =>
        PolicyLoadResult.Failure([new PolicyError(path, 0, 0, "(file)", message)]);
}
